"""``workflow.status_changed``: active maintenance takes its building out of service until the last one ends."""

from __future__ import annotations

import uuid

import orjson
from django.test import TestCase, TransactionTestCase, override_settings

from alarms_site.alarms.models import Alarm
from alarms_site.alarms.outofservice import (
    building_return_to_service,
    building_take_out_of_service,
    buildings_out_of_service,
)
from alarms_site.alarms.tests.bridging import consume
from alarms_site.alarms.tests.bridging import deliver as bridge_deliver
from alarms_site.alarms.tests.factories import stored_alarms
from bridge.testing import NatsTestMixin

PREVIOUS = {"new": None, "active": "new", "completed": "active", "cancelled": "active"}


def changed(workflow_id: int, status: str, version: int, *, building_id: int = 4, **overrides) -> dict:
    """A ``workflow.status_changed`` body as the workflows service announces it."""
    return {
        "id": str(uuid.uuid4()),
        "workflowId": workflow_id,
        "buildingId": building_id,
        "kind": "maintenance",
        "name": f"Replace AHU-{workflow_id} filters",
        "status": status,
        "previousStatus": PREVIOUS[status],
        "version": version,
        "changedAt": "2026-12-01T09:00:00+00:00",
        **overrides,
    }


def deliver(*bodies: dict | bytes) -> list[str]:
    return bridge_deliver("workflow.status_changed", *bodies)


def service_journal(alarm: Alarm) -> list[tuple[str, str, str]]:
    entries = alarm.journal.filter(action__in=["out_of_service", "return_to_service"])
    return list(entries.values_list("action", "actor", "note"))


def out_of_service(alarm: Alarm) -> bool:
    return Alarm.objects.get(pk=alarm.pk).out_of_service


@override_settings(ALARMS_LIVE_SUBJECT="test.alarms.live")
class MaintenanceTests(TestCase):
    def setUp(self):
        [self.alarm] = stored_alarms(1, building_id=4)

    def test_active_maintenance_takes_the_building_out_of_service_until_it_completes(self):
        deliver(changed(17, "new", 1), changed(17, "active", 2))

        [new] = stored_alarms(1, building_id=4)
        self.assertTrue(out_of_service(self.alarm))
        self.assertEqual((new.out_of_service, new.annunciated), (True, False))

        deliver(changed(17, "completed", 3))

        self.assertFalse(out_of_service(self.alarm))
        self.assertEqual(
            service_journal(self.alarm),
            [
                ("out_of_service", "system", "maintenance workflow 17 active: Replace AHU-17 filters"),
                ("return_to_service", "system", "maintenance workflow 17 completed: Replace AHU-17 filters"),
            ],
        )

    def test_overlapping_maintenance_keeps_the_building_out_until_the_last_one_ends(self):
        deliver(changed(17, "active", 2), changed(18, "active", 2))

        deliver(changed(17, "completed", 3))
        self.assertTrue(out_of_service(self.alarm))
        self.assertEqual(buildings_out_of_service(), {4})

        deliver(changed(18, "cancelled", 3))
        self.assertFalse(out_of_service(self.alarm))
        self.assertEqual(
            service_journal(self.alarm),
            [
                ("out_of_service", "system", "maintenance workflow 17 active: Replace AHU-17 filters"),
                ("return_to_service", "system", "maintenance workflow 18 cancelled: Replace AHU-18 filters"),
            ],
        )

    def test_a_late_older_event_changes_nothing(self):
        active, completed = changed(17, "active", 2), changed(17, "completed", 3)
        deliver(active, completed)

        deliver(active, changed(17, "new", 1))  # a redelivery, and the creation arriving last

        self.assertFalse(out_of_service(self.alarm))
        self.assertEqual(buildings_out_of_service(), set())
        self.assertEqual(len(service_journal(self.alarm)), 2)

    def test_the_end_arriving_before_the_start_leaves_the_building_in_service(self):
        deliver(changed(17, "completed", 3))
        deliver(changed(17, "active", 2))

        self.assertFalse(out_of_service(self.alarm))
        self.assertEqual(service_journal(self.alarm), [])

    def test_staff_keep_their_own_hold_through_the_maintenance(self):
        building_take_out_of_service(building_id=4, by="kim", reason="refurbishment")
        deliver(changed(17, "active", 2), changed(17, "completed", 3))

        self.assertTrue(out_of_service(self.alarm))
        building_return_to_service(building_id=4, by="kim")
        self.assertFalse(out_of_service(self.alarm))

    def test_other_kinds_of_workflow_change_nothing(self):
        deliver(changed(17, "active", 2, kind="general"), changed(18, "active", 2, kind="response"))

        self.assertEqual(buildings_out_of_service(), set())

    def test_it_refuses_what_can_never_be_valid(self):
        reasons = deliver(
            b"[]",
            changed(17, "active", 0),
            {**changed(17, "active", 2), "status": "paused"},
            changed(17, "active", 2, kind="repair"),
            changed(17, "active", 2, workflowId="17"),
            changed(17, "active", 2, name="n" * 201),
        )

        self.assertEqual(len(reasons), 6)
        self.assertEqual(buildings_out_of_service(), set())


@override_settings(ALARMS_LIVE_SUBJECT="test.alarms.live")
class MaintenanceOverNatsTests(NatsTestMixin, TransactionTestCase):
    def test_the_bridge_applies_maintenance_and_parks_a_bad_event_with_its_reason(self):
        [alarm] = stored_alarms(1, building_id=4)

        letters = consume(
            self.nats.url, "workflow.status_changed", [changed(17, "active", 2), changed(18, "active", -1)]
        )

        self.assertTrue(out_of_service(alarm))
        [letter] = letters
        self.assertEqual(orjson.loads(letter["payload"])["workflowId"], 18)
        self.assertIn("version", letter["reason"])
