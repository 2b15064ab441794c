"""The live socket's limits, in process: garbage is answered, floods and extra sockets are turned away."""

from __future__ import annotations

import uuid

import orjson
from channels.db import database_sync_to_async
from django.contrib.auth.models import User
from django.test import TransactionTestCase, override_settings

from alarms_site.alarms import consumers
from alarms_site.alarms.consumers import CLOSE_SIGNED_OUT, CLOSE_TOO_CHATTY, CLOSE_TRY_AGAIN, MESSAGES_BURST
from alarms_site.alarms.tests.factories import stored_alarms
from alarms_site.alarms.tests.test_consumers import TIMEOUT, feed, resume, socket_to_feed
from bridge.fanout import stop_forwarding
from bridge.testing import NatsTestMixin
from sitekit.testing import session_cookie


@override_settings(ALARMS_LIVE_SUBJECT=f"test.{uuid.uuid4().hex}.alarms.live")
class AlarmFeedLimitTests(NatsTestMixin, TransactionTestCase):
    def setUp(self):
        super().setUp()
        self.cookie = session_cookie(User.objects.create_user("watcher"))

    async def test_it_answers_every_kind_of_garbage_with_an_error_and_stays_open(self):
        garbage = [
            {"text_data": '{"type": "subscribe", "channel": "everything"}'},
            {"text_data": "[1, 2, 3]"},
            {"text_data": "null"},
            {"text_data": "[" * 10_000},  # deeper than any JSON parser recurses
            {"text_data": orjson.dumps({"type": "resume", "since": 0, "unacknowledged": [1] * 1001}).decode()},
            {"text_data": "\u0000\ud7ff" * 1000},
            {"bytes_data": orjson.dumps({"type": "resume", "since": 0})},
        ]
        async with feed(self.cookie) as socket:
            answers = []
            for frame in garbage:
                await socket.send_to(**frame)
                answers.append((await socket.receive_json_from(TIMEOUT))["type"])
            still_open = await resume(socket)

        self.assertEqual(answers, ["error"] * len(garbage))
        self.assertEqual(still_open["type"], "catchup")

    async def test_it_closes_a_socket_that_sends_far_more_than_a_page_does(self):
        async with feed(self.cookie) as socket:
            for _ in range(MESSAGES_BURST + 5):
                await socket.send_to(text_data="{}")
            answers = [await socket.receive_output(TIMEOUT) for _ in range(MESSAGES_BURST + 1)]
            # The extra messages were queued before the close came out, and the consumer takes
            # its queue in order in one task: an answer to them would follow the close within
            # microseconds, so 0.3 s is thousands of times the wait needed to see it.
            after = await socket.receive_nothing(0.3)

        self.assertEqual([a["type"] for a in answers[:-1]], ["websocket.send"] * MESSAGES_BURST)
        self.assertEqual(answers[-1], {"type": "websocket.close", "code": CLOSE_TOO_CHATTY})
        self.assertTrue(after, "messages after the close were still answered")

    async def test_it_sends_nothing_to_a_signed_out_socket_whatever_it_sent_before_reading_its_close(self):
        await database_sync_to_async(stored_alarms)(2)
        socket = socket_to_feed(cookie=None)
        try:
            await socket.connect(timeout=TIMEOUT)
            await socket.send_json_to({"type": "resume", "since": 0, "unacknowledged": []})
            closed = await socket.receive_output(TIMEOUT)
            # The resume was queued before the close came out, and an answer to it (a catch-up of
            # the two stored alarms, read in one query) would follow within milliseconds.
            after = await socket.receive_nothing(0.5)
        finally:
            await socket.disconnect()

        self.assertEqual(closed, {"type": "websocket.close", "code": CLOSE_SIGNED_OUT})
        self.assertTrue(after, "a signed-out socket was sent alarms")

    @override_settings(ALARMS_LIVE_MAX_SOCKETS=2)
    async def test_it_asks_sockets_over_the_cap_to_try_again_and_admits_again_once_one_leaves(self):
        async with feed(self.cookie) as first, feed(self.cookie) as second:
            await resume(first)
            await resume(second)
            third = socket_to_feed(self.cookie)
            await third.connect(timeout=TIMEOUT)
            refused = await third.receive_output(TIMEOUT)
            await third.disconnect()
        async with feed(self.cookie) as fourth:
            admitted = await resume(fourth)

        self.assertEqual(refused, {"type": "websocket.close", "code": CLOSE_TRY_AGAIN})
        self.assertEqual(admitted["type"], "catchup")
        self.assertEqual(len(consumers.SOCKETS), 0, "a closed socket kept its slot")

    async def test_it_gives_the_slot_back_when_the_consumer_fails(self):
        socket = socket_to_feed(self.cookie)
        try:
            await socket.connect(timeout=TIMEOUT)
            await resume(socket)
            with override_settings(ALARMS_LIVE_WINDOW="not a number"):  # the catch-up read now raises
                await socket.send_json_to({"type": "resume", "since": 0, "unacknowledged": []})
                with self.assertRaises(TypeError):
                    await socket.wait(TIMEOUT)
        finally:
            await stop_forwarding()

        self.assertEqual(len(consumers.SOCKETS), 0)
