"""Holds: a building is out of service while anyone holds it; its alarms' journals say when it went and came back."""

from __future__ import annotations

from django.test import TestCase, override_settings
from rest_framework.test import APIClient

from alarms_site.alarms.models import Alarm, OutOfService
from alarms_site.alarms.outofservice import (
    building_hold,
    building_release,
    building_return_to_service,
    building_take_out_of_service,
    buildings_out_of_service,
    workflow_holder,
)
from alarms_site.alarms.tests.factories import stored_alarms
from sitekit.testing import SignedInMixin


def journal(alarm: Alarm) -> list[tuple[str, str, str]]:
    return list(alarm.journal.values_list("action", "actor", "note"))


def out_of_service(alarm: Alarm) -> bool:
    return Alarm.objects.get(pk=alarm.pk).out_of_service


@override_settings(ALARMS_LIVE_SUBJECT="test.alarms.live")
class ServiceHoldTests(TestCase):
    def test_staff_and_a_workflow_hold_one_building_and_it_comes_back_when_the_last_lets_go(self):
        [alarm] = stored_alarms(1, building_id=4)

        building_take_out_of_service(building_id=4, by="kim", reason="refurbishment")
        building_hold(building_id=4, holder=workflow_holder(17), by="system", reason="maintenance workflow 17")
        building_return_to_service(building_id=4, by="kim")

        self.assertTrue(out_of_service(alarm))
        self.assertEqual(buildings_out_of_service(), {4})
        [after_staff] = stored_alarms(1, building_id=4)
        self.assertEqual((after_staff.out_of_service, after_staff.annunciated), (True, False))

        building_release(building_id=4, holders=[workflow_holder(17)], by="system", note="workflow 17 completed")

        self.assertFalse(out_of_service(alarm))
        self.assertEqual(buildings_out_of_service(), set())
        self.assertEqual(
            journal(alarm),
            [("out_of_service", "kim", "refurbishment"), ("return_to_service", "system", "workflow 17 completed")],
        )

    def test_a_second_hold_by_the_same_holder_is_none_and_changes_nothing(self):
        first = building_hold(building_id=4, holder=workflow_holder(17), by="system", reason="maintenance")

        again = building_hold(building_id=4, holder=workflow_holder(17), by="system", reason="maintenance")

        self.assertIsNotNone(first)
        self.assertIsNone(again)
        self.assertEqual(OutOfService.objects.count(), 1)

    def test_staff_cannot_end_a_workflows_hold_and_releasing_nothing_ends_nothing(self):
        building_hold(building_id=4, holder=workflow_holder(17), by="system", reason="maintenance")

        self.assertEqual(building_release(building_id=4, holders=[workflow_holder(18)], by="system"), 0)
        with self.assertRaisesMessage(Exception, "building 4 is in service"):
            building_return_to_service(building_id=4, by="kim")
        self.assertEqual(buildings_out_of_service(), {4})


@override_settings(ALARMS_LIVE_SUBJECT="test.alarms.live")
class StaffHoldApiTests(SignedInMixin, TestCase):
    client_class = APIClient

    def test_the_api_lists_and_ends_staffs_holds_only(self):
        building_take_out_of_service(building_id=4, by="kim", reason="works")
        building_hold(building_id=5, holder=workflow_holder(17), by="system", reason="maintenance")
        building_hold(building_id=4, holder=workflow_holder(18), by="system", reason="maintenance")

        listed = self.client.get("/api/out-of-service/").json()["results"]
        workflows_building = self.client.delete("/api/out-of-service/5/")
        staffs_building = self.client.delete("/api/out-of-service/4/")

        self.assertEqual([(hold["building_id"], hold["by"]) for hold in listed], [(4, "kim")])
        self.assertEqual((workflows_building.status_code, staffs_building.status_code), (404, 204))
        self.assertEqual(buildings_out_of_service(), {4, 5})  # the workflows still hold both
