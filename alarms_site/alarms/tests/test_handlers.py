"""``alarm.created`` as the bridge hands it over: validation, envelopes, batches, dedupe."""

from __future__ import annotations

import uuid

import orjson
from django.test import TestCase, override_settings

from alarms_site.alarms.models import Alarm
from alarms_site.alarms.tests.factories import wire_event
from bridge.dispatch import EventIn, parse_events, store_events
from bridge.routes import Event, load_routes
from natswire.envelope import nest_event

ROUTE: Event = next(route for route in load_routes().of_kind(Event) if route.subject == "alarm.created")


def deliver(bodies: list[bytes], msg_ids: list[str | None] | None = None) -> list[str]:
    """Run one batch through the bridge's parse and store steps; returns the rejection reasons."""
    msg_ids = msg_ids or [None] * len(bodies)
    events = [EventIn(data=body, msg_id=msg_id, stream_sequence=seq) for seq, (body, msg_id) in
              enumerate(zip(bodies, msg_ids, strict=True), start=1)]  # fmt: skip
    valid, rejected = parse_events(ROUTE, events)
    store_events(ROUTE, [payload for _, payload in valid])
    return [rejection.reason for rejection in rejected]


@override_settings(ALARMS_LIVE_SUBJECT="test.alarms.live")
class AlarmCreatedHandlerTests(TestCase):
    def test_it_stores_a_full_event(self):
        body = wire_event(name="Water leak", buildingId=3, severity="critical", occurredAt="2025-05-01T10:00:00+02:00")

        self.assertEqual(deliver([orjson.dumps(body)]), [])

        alarm = Alarm.objects.get()
        self.assertEqual(str(alarm.event_id), body["id"])
        self.assertEqual((alarm.name, alarm.building_id, alarm.severity), ("Water leak", 3, "critical"))
        self.assertEqual(alarm.occurred_at.isoformat(), "2025-05-01T08:00:00+00:00")

    def test_it_stores_the_seeds_minimal_event_as_a_minor_alarm(self):
        self.assertEqual(deliver([b'{"name": "Fire", "buildingId": 12}'], ["0b7e5c1e-2b47-4c0e-9d3a-0f1c2d3e4f50"]), [])

        alarm = Alarm.objects.get()
        self.assertEqual((alarm.name, alarm.building_id, alarm.severity), ("Fire", 12, "minor"))
        self.assertEqual(str(alarm.event_id), "0b7e5c1e-2b47-4c0e-9d3a-0f1c2d3e4f50")  # from Nats-Msg-Id

    def test_it_unwraps_a_nestjs_event_envelope(self):
        self.assertEqual(deliver([nest_event("alarm.created", {"name": "Intrusion", "buildingId": 4})]), [])

        self.assertEqual(Alarm.objects.get().name, "Intrusion")

    def test_it_stores_a_batch_with_duplicates_once(self):
        first, second = wire_event(name="First"), wire_event(name="Second")
        bodies = [orjson.dumps(first), orjson.dumps(second), orjson.dumps(first)]

        deliver(bodies)
        deliver([orjson.dumps(second), orjson.dumps(wire_event(name="Third"))])

        self.assertEqual(sorted(Alarm.objects.values_list("name", flat=True)), ["First", "Second", "Third"])

    def test_it_gives_a_redelivered_event_without_any_id_the_same_id(self):
        body = b'{"name": "No id at all", "buildingId": 1}'

        deliver([body])
        deliver([body])  # same stream sequence: a redelivery

        self.assertEqual(Alarm.objects.count(), 1)

    def test_it_rejects_what_can_never_be_valid_and_stores_the_rest(self):
        bodies = [
            b"not json",
            b"[1, 2]",
            orjson.dumps(wire_event(name=5)),
            orjson.dumps(wire_event(buildingId="7")),
            orjson.dumps(wire_event(buildingId=True)),
            orjson.dumps(wire_event(buildingId=0)),
            orjson.dumps(wire_event(buildingId=2**31)),
            orjson.dumps(wire_event(severity="apocalyptic")),
            orjson.dumps(wire_event(id=12345)),
            orjson.dumps(wire_event(id="not-a-uuid")),
            orjson.dumps(wire_event(occurredAt="yesterday")),
            orjson.dumps(wire_event(occurredAt=1714557600)),
            orjson.dumps(wire_event(occurredAt="0001-01-01T00:00:00+01:00")),
            orjson.dumps(wire_event(name="")),
            orjson.dumps(wire_event(name="x" * 201)),
            orjson.dumps({"buildingId": 1}),
            orjson.dumps(wire_event(name="The valid one")),
        ]

        reasons = deliver(bodies, [str(uuid.uuid4()) for _ in bodies])

        self.assertEqual(len(reasons), 16)
        self.assertTrue(reasons[0].startswith("Body is not valid JSON"))
        self.assertEqual(reasons[1], "Payload must be a JSON object")
        self.assertIn('"buildingId":["Must be an integer."]', reasons[3])
        self.assertIn('"id":["Must be a valid UUID."]', reasons[8])
        self.assertEqual(list(Alarm.objects.values_list("name", flat=True)), ["The valid one"])
