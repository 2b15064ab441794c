"""Live messages that arrived together, as the frames each socket gets."""

from __future__ import annotations

from django.test import SimpleTestCase, override_settings

from alarms_site.alarms.live import frames_of


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
