"""Who may use the alarms API: anonymous callers, signed-in readers, permitted acknowledgers."""

from __future__ import annotations

from django.test import TestCase, override_settings

from alarms_site.alarms.models import Alarm
from alarms_site.alarms.tests.factories import stored_alarms
from sitekit.testing import ApiAccessChecks, Write


@override_settings(ALARMS_LIVE_SUBJECT="test.alarms.live")
class AlarmAccessTests(ApiAccessChecks, TestCase):
    collection = "/api/alarms/"

    def existing(self) -> Alarm:
        return stored_alarms(1)[0]

    def writes(self, alarm: Alarm) -> list[Write]:
        return [Write("post", f"/api/alarms/{alarm.pk}/acknowledge/", "alarms.change_alarm", 200)]
