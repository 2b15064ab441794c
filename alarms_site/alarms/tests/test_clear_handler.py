"""``alarm.cleared`` as the bridge hands it over: validation, the two ways of naming an alarm, no match."""

from __future__ import annotations

import uuid

import orjson
from django.test import TestCase, override_settings

from alarms_site.alarms import metrics, services
from alarms_site.alarms.models import Alarm, State
from alarms_site.alarms.tests.factories import event
from bridge.dispatch import EventIn, parse_events, store_events
from bridge.routes import Event, load_routes

ROUTE: Event = next(route for route in load_routes().of_kind(Event) if route.subject == "alarm.cleared")


def deliver(*bodies: dict | bytes) -> list[str]:
    """Run one batch of clears through the bridge's parse and store steps; returns the rejection reasons."""
    events = [
        EventIn(
            data=body if isinstance(body, bytes) else orjson.dumps(body), msg_id=str(uuid.uuid4()), stream_sequence=seq
        )
        for seq, body in enumerate(bodies, start=1)
    ]
    valid, rejected = parse_events(ROUTE, events)
    store_events(ROUTE, [payload for _, payload in valid])
    return [rejection.reason for rejection in rejected]


def unmatched() -> float:
    return metrics.CLEARS_UNMATCHED._value.get()


@override_settings(ALARMS_LIVE_SUBJECT="test.alarms.live")
class AlarmClearedHandlerTests(TestCase):
    def setUp(self):
        [self.alarm] = services.alarm_store_batch(events=[event(name="Supply high", building_id=3, source="ahu-3")])

    def test_it_clears_the_open_alarm_of_a_building_source_and_name(self):
        self.assertEqual(deliver({"buildingId": 3, "source": "ahu-3", "name": "Supply high"}), [])

        self.assertEqual(Alarm.objects.get(pk=self.alarm.pk).state, State.CLEARED_UNACKNOWLEDGED)

    def test_it_clears_the_alarm_raised_by_an_event_id(self):
        self.assertEqual(deliver({"alarmEventId": str(self.alarm.event_id)}), [])

        self.assertEqual(Alarm.objects.get(pk=self.alarm.pk).state, State.CLEARED_UNACKNOWLEDGED)

    def test_a_clear_of_no_open_alarm_is_counted_and_not_refused(self):
        before = unmatched()

        reasons = deliver(
            {"alarmEventId": str(uuid.uuid4())}, {"buildingId": 3, "source": "ahu-9", "name": "Supply high"}
        )

        self.assertEqual(reasons, [])
        self.assertEqual(unmatched() - before, 2)
        self.assertEqual(Alarm.objects.get(pk=self.alarm.pk).state, State.ACTIVE_UNACKNOWLEDGED)

    def test_it_rejects_a_clear_that_names_no_alarm_or_names_it_twice(self):
        reasons = deliver(
            {"buildingId": 3, "source": "ahu-3"},
            {"alarmEventId": str(self.alarm.event_id), "buildingId": 3, "source": "ahu-3", "name": "Supply high"},
            {"alarmEventId": "not-a-uuid"},
            {"buildingId": 3, "source": "x" * 201, "name": "Supply high"},
            b"not json",
        )

        self.assertEqual(len(reasons), 5)
        self.assertIn("give alarmEventId, or all of buildingId, source and name", reasons[0])
        self.assertIn("not both", reasons[1])
        self.assertEqual(Alarm.objects.get(pk=self.alarm.pk).state, State.ACTIVE_UNACKNOWLEDGED)
