"""``building.deleted``: the building's open alarms close once, as the system's, and its holds end."""

from __future__ import annotations

import uuid

import orjson
from django.test import TestCase, TransactionTestCase, override_settings

from alarms_site.alarms import services
from alarms_site.alarms.models import Alarm, OutOfService, State
from alarms_site.alarms.outofservice import building_hold, building_take_out_of_service, workflow_holder
from alarms_site.alarms.shelving import alarm_shelve_many
from alarms_site.alarms.tests.bridging import consume
from alarms_site.alarms.tests.bridging import deliver as bridge_deliver
from alarms_site.alarms.tests.factories import stored_alarms
from bridge.testing import NatsTestMixin


def deleted(building_id: int = 4, **overrides) -> dict:
    """A ``building.deleted`` body as the buildings service announces it."""
    return {"id": str(uuid.uuid4()), "buildingId": building_id, "deletedAt": "2026-12-01T09:30:00+00:00", **overrides}


def deliver(*bodies: dict | bytes) -> list[str]:
    return bridge_deliver("building.deleted", *bodies)


def closing_entries(alarm: Alarm) -> list[tuple[str, str, str, str, str]]:
    return list(
        alarm.journal.filter(action__in=["close", "unshelve"]).values_list(
            "action", "actor", "from_state", "to_state", "note"
        )
    )


def state(alarm: Alarm) -> str:
    return Alarm.objects.get(pk=alarm.pk).state


@override_settings(ALARMS_LIVE_SUBJECT="test.alarms.live")
class BuildingDeletedTests(TestCase):
    def setUp(self):
        self.active, self.acknowledged, self.cleared, self.closed = stored_alarms(4, building_id=4)
        services.alarm_acknowledge(alarm=self.acknowledged, by="kim")
        services.alarm_transition(alarm=self.cleared, action="clear", actor="system")
        services.alarm_acknowledge(alarm=self.closed, by="kim")
        services.alarm_transition(alarm=self.closed, action="clear", actor="system")
        [self.elsewhere] = stored_alarms(1, building_id=5)

    def test_it_closes_every_open_alarm_of_the_building_as_the_systems_with_the_note(self):
        self.assertEqual(deliver(deleted(4)), [])

        for alarm, from_state in [
            (self.active, State.ACTIVE_UNACKNOWLEDGED),
            (self.acknowledged, State.ACTIVE_ACKNOWLEDGED),
            (self.cleared, State.CLEARED_UNACKNOWLEDGED),
        ]:
            self.assertEqual(state(alarm), State.CLOSED)
            self.assertEqual(closing_entries(alarm), [("close", "system", from_state, "closed", "building deleted")])
        self.assertEqual(state(self.elsewhere), State.ACTIVE_UNACKNOWLEDGED)

    def test_it_leaves_an_alarm_that_was_closed_already_alone(self):
        journal_before = list(self.closed.journal.values_list("id", flat=True))

        deliver(deleted(4))

        self.assertEqual(
            list(Alarm.objects.get(pk=self.closed.pk).journal.values_list("id", flat=True)), journal_before
        )

    def test_delivered_twice_or_announced_twice_it_closes_once(self):
        event = deleted(4)
        deliver(event)
        [raised_after] = stored_alarms(1, building_id=4)

        deliver(event, deleted(4))

        self.assertEqual(len(closing_entries(self.active)), 1)
        self.assertEqual(state(raised_after), State.ACTIVE_UNACKNOWLEDGED)

    def test_closing_ends_a_shelve_and_the_buildings_holds(self):
        alarm_shelve_many(alarm_ids=[self.active.pk], by="sam", reason="sensor work", minutes=30)
        building_take_out_of_service(building_id=4, by="kim", reason="works")
        building_hold(building_id=4, holder=workflow_holder(17), by="system", reason="maintenance")

        deliver(deleted(4))

        self.assertIsNone(Alarm.objects.get(pk=self.active.pk).shelved_at)
        self.assertIn(
            ("unshelve", "system", "closed", "closed", "shelve ended: the alarm closed"), closing_entries(self.active)
        )
        self.assertFalse(OutOfService.objects.filter(building_id=4).exists())

    def test_it_refuses_what_can_never_be_valid(self):
        reasons = deliver(
            b"not json",
            deleted(4, buildingId="4"),
            deleted(4, buildingId=0),
            deleted(4, buildingId=2**31),
            deleted(4, deletedAt=None),
        )

        self.assertEqual(len(reasons), 5)
        self.assertTrue(all(reasons), reasons)
        self.assertEqual(state(self.active), State.ACTIVE_UNACKNOWLEDGED)


@override_settings(ALARMS_LIVE_SUBJECT="test.alarms.live")
class BuildingDeletedOverNatsTests(NatsTestMixin, TransactionTestCase):
    def test_the_bridge_closes_the_alarms_once_and_parks_a_bad_event_with_its_reason(self):
        [alarm] = stored_alarms(1, building_id=4)
        event = deleted(4)

        letters = consume(self.nats.url, "building.deleted", [event, event, {"buildingId": "four"}])

        self.assertEqual(state(alarm), State.CLOSED)
        self.assertEqual(alarm.journal.filter(action="close").count(), 1)
        [letter] = letters
        self.assertEqual(orjson.loads(letter["payload"]), {"buildingId": "four"})
        self.assertIn("buildingId", letter["reason"])
