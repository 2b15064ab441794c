"""Who may use the alarms API: anonymous callers, signed-in readers, permitted acknowledgers."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.test import TestCase, override_settings

from alarms_site.alarms.models import Alarm, OutOfService
from alarms_site.alarms.outofservice import building_take_out_of_service
from alarms_site.alarms.tests.factories import stored_alarms
from sitekit.testing import ApiAccessChecks, Write


@override_settings(ALARMS_LIVE_SUBJECT="test.alarms.live")
class AlarmAccessTests(ApiAccessChecks, TestCase):
    collection = "/api/alarms/"

    def existing(self) -> Alarm:
        get_user_model().objects.get_or_create(username="night-shift")
        return stored_alarms(1)[0]

    def writes(self, alarm: Alarm) -> list[Write]:
        path = f"/api/alarms/{alarm.pk}"
        return [
            Write("post", f"{path}/acknowledge/", "alarms.change_alarm", 200),
            Write("post", f"{path}/comment/", "alarms.change_alarm", 200, {"text": "checked on site"}),
            Write("post", f"{path}/assign/", "alarms.change_alarm", 200, {"assignee": "night-shift"}),
            Write("post", f"{path}/shelve/", "alarms.shelve_alarm", 200, {"reason": "sensor work", "minutes": 30}),
        ]


@override_settings(ALARMS_LIVE_SUBJECT="test.alarms.live")
class OutOfServiceAccessTests(ApiAccessChecks, TestCase):
    collection = "/api/out-of-service/"
    id_field = "building_id"

    def existing(self) -> OutOfService:
        return building_take_out_of_service(building_id=4, by="staff", reason="refurbishment")

    def lookup(self, record: OutOfService) -> int:
        return record.building_id  # the API names staff's hold by its building

    def writes(self, record: OutOfService) -> list[Write]:
        return [
            Write("post", self.collection, "alarms.add_outofservice", 201, {"building_id": 5, "reason": "works"}),
            Write("delete", f"{self.collection}{record.building_id}/", "alarms.delete_outofservice", 204),
        ]
