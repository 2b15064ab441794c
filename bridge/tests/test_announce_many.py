"""Many announced events in one statement: each stored once, as ``outbox_announce`` stores one."""

from __future__ import annotations

from django.db import transaction
from django.test import TestCase

from bridge.outbox.announce import outbox_announce_many
from bridge.outbox.models import OutboxMessage
from bridge.outbox.services import outbox_announce


class AnnounceManyTests(TestCase):
    def test_it_stores_each_new_event_once_and_skips_keys_already_stored(self):
        outbox_announce(subject="thing.happened", payload={"thingId": 0}, key="thing-0")

        with transaction.atomic():
            stored = outbox_announce_many(
                subject="thing.happened",
                events=[("thing-0", {"thingId": -1}), ("thing-1", {"thingId": 1, "note": None}), ("thing-2", {})],
                trace_id="t" * 32,
            )

        self.assertEqual(stored, 2)
        messages = {m.key: m for m in OutboxMessage.objects.all()}
        self.assertEqual(
            {key: m.payload for key, m in messages.items()},
            {"thing-0": {"thingId": 0}, "thing-1": {"thingId": 1, "note": None}, "thing-2": {}},
        )
        one, alone = messages["thing-1"], messages["thing-0"]
        self.assertEqual((one.subject, one.trace_id, one.attempts, one.last_error), ("thing.happened", "t" * 32, 0, ""))
        self.assertEqual(one.state, "pending")
        self.assertLessEqual(alone.next_attempt_at, one.next_attempt_at)  # due at once, like one announced alone

    def test_nothing_to_announce_stores_nothing(self):
        self.assertEqual(outbox_announce_many(subject="thing.happened", events=[]), 0)
        self.assertFalse(OutboxMessage.objects.exists())
