"""Live messages that arrived together, as the frames each socket gets."""

from __future__ import annotations

import orjson
from django.test import SimpleTestCase, override_settings

from alarms_site.alarms.live import CHUNK, MAX_FRAME_BYTES, frames_of


def shown_alarm(alarm_id: int) -> dict:
    """An alarm as a live message carries it (``AlarmOutputSerializer``), with the longest name and user."""
    return {
        "id": alarm_id,
        "event_id": "5f0c6f8e-2b9a-4d0e-9a41-0c3c2e6b8f11",
        "name": "n" * 200,
        "building_id": 1234,
        "severity": "critical",
        "occurred_at": "2026-11-26T06:32:05.123000Z",
        "received_at": "2026-11-26T06:32:05.456789Z",
        "acknowledged": True,
        "acknowledged_at": "2026-11-26T06:33:00.000000Z",
        "acknowledged_by": "u" * 150,
    }


@override_settings(ALARMS_LIVE_SUBJECT="test.alarms.live")
class FramesOfTests(SimpleTestCase):
    def test_it_merges_consecutive_messages_of_one_kind_and_keeps_their_order(self):
        messages = [
            ("test.alarms.live.created", {"alarms": [{"id": 1}, {"id": 2}]}),
            ("test.alarms.live.created", {"alarms": [{"id": 3}]}),
            ("test.alarms.live.acknowledged", {"alarms": [{"id": 1}]}),
            ("test.alarms.live.created", {"alarms": [{"id": 4}]}),
        ]

        self.assertEqual(
            frames_of(messages),
            [
                {"type": "created", "alarms": [{"id": 1}, {"id": 2}, {"id": 3}]},
                {"type": "acknowledged", "alarms": [{"id": 1}]},
                {"type": "created", "alarms": [{"id": 4}]},
            ],
        )
        self.assertEqual(messages[0][1], {"alarms": [{"id": 1}, {"id": 2}]})  # the messages are left as they were

    def test_it_drops_malformed_and_foreign_messages(self):
        messages = [
            ("test.alarms.live.deleted", {"alarms": [{"id": 1}]}),
            ("test.alarms.live.created", {"alarms": "not a list"}),
            ("test.alarms.live.created", [1, 2]),
            ("test.alarms.live.created", {"alarms": [{"id": 2}]}),
        ]

        with self.assertLogs("alarms_site.alarms.live", "WARNING"):
            self.assertEqual(frames_of(messages), [{"type": "created", "alarms": [{"id": 2}]}])

    def test_it_splits_what_would_not_fit_one_frame_and_keeps_every_alarm_in_order(self):
        messages = [("test.alarms.live.created", {"alarms": [{"id": i, "name": "x" * 20}]}) for i in range(10)]
        one = len(orjson.dumps({"id": 1, "name": "x" * 20}))

        frames = frames_of(messages, max_bytes=len(orjson.dumps({"type": "created", "alarms": []})) + 3 * one + 2)

        self.assertEqual([len(frame["alarms"]) for frame in frames], [3, 3, 3, 1])
        self.assertEqual([alarm["id"] for frame in frames for alarm in frame["alarms"]], list(range(10)))

    def test_it_keeps_each_frame_a_busy_process_sends_within_the_size_daphne_sends(self):
        # 3,000 alarms that arrived while the process was busy: daphne raises on a frame over
        # its maximum message size, and the socket closes with 1011.
        messages = [
            ("test.alarms.live.created", {"alarms": [shown_alarm(start + i) for i in range(CHUNK)]})
            for start in range(0, 3000, CHUNK)
        ]

        frames = frames_of(messages)

        self.assertLessEqual(max(len(orjson.dumps(frame)) for frame in frames), MAX_FRAME_BYTES)
        self.assertEqual([alarm["id"] for frame in frames for alarm in frame["alarms"]], list(range(3000)))

    def test_it_drops_an_alarm_no_frame_can_hold_and_keeps_the_others(self):
        # Daphne refuses to send a frame over its maximum message size and closes the socket
        # with 1011: one such alarm in a live message would cut off every open page.
        messages = [("test.alarms.live.created", {"alarms": [{"id": 1}, {"id": 2, "name": "x" * 100}, {"id": 3}]})]

        with self.assertLogs("alarms_site.alarms.live", "WARNING") as logs:
            frames = frames_of(messages, max_bytes=50)

        self.assertEqual([[alarm["id"] for alarm in frame["alarms"]] for frame in frames], [[1, 3]])
        self.assertIn("no frame of 50 bytes holds it", logs.output[0])

    def test_it_drops_an_alarm_larger_than_daphne_sends(self):
        messages = [("test.alarms.live.changed", {"alarms": [{"id": 1, "name": "x" * MAX_FRAME_BYTES}, {"id": 2}]})]

        with self.assertLogs("alarms_site.alarms.live", "WARNING"):
            frames = frames_of(messages)

        self.assertEqual(frames, [{"type": "changed", "alarms": [{"id": 2}]}])
