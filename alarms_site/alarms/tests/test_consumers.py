"""The live feed socket with real NATS in between: catch-up, live pushes, acknowledgements, failures."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator

import orjson
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import User
from django.contrib.sessions.models import Session
from django.test import TestCase, TransactionTestCase, override_settings

from alarms_site.alarms import live, services
from alarms_site.alarms.consumers import CLOSE_FEED_LOST, CLOSE_SIGNED_OUT, CLOSE_TRY_AGAIN, catch_up_frames
from alarms_site.alarms.livecounts import COUNTS
from alarms_site.alarms.models import Alarm
from alarms_site.alarms.tests.factories import event, stored_alarms
from alarms_site.asgi import application
from bridge.client import get_client
from bridge.fanout import stop_forwarding
from bridge.testing import NatsServer, NatsTestMixin
from sitekit.testing import session_cookie

TIMEOUT = 5
ORIGIN = b"http://127.0.0.1"


def socket_to_feed(cookie: str | None, origin: bytes = ORIGIN) -> WebsocketCommunicator:
    """A socket to the live feed from ``origin``, signed in by ``cookie`` (None: anonymous)."""
    headers = [(b"origin", origin)] + ([(b"cookie", cookie.encode())] if cookie else [])
    return WebsocketCommunicator(application, "/ws/alarms/", headers=headers)


@contextlib.asynccontextmanager
async def feed(cookie: str) -> AsyncIterator[WebsocketCommunicator]:
    """A connected, signed-in socket; on the way out it is closed and this loop's NATS subscription too."""
    communicator = socket_to_feed(cookie)
    try:
        connected, _ = await communicator.connect(timeout=TIMEOUT)
        assert connected, "the socket was refused"
        yield communicator
    finally:
        await communicator.disconnect()
        await stop_forwarding()


async def resume(socket: WebsocketCommunicator, since: int = 0, unacknowledged: list[int] | None = None) -> dict:
    await socket.send_json_to({"type": "resume", "since": since, "unacknowledged": unacknowledged or []})
    return await socket.receive_json_from(TIMEOUT)


async def news(socket: WebsocketCommunicator) -> dict:
    """The next frame that is not ``counts`` (those follow each resume, and any news, on their own)."""
    while (frame := await socket.receive_json_from(TIMEOUT))["type"] == COUNTS:
        pass
    return frame


async def output_past_counts(socket: WebsocketCommunicator) -> dict:
    """The next thing the consumer sent that is not a ``counts`` frame (a close, say)."""
    while True:
        output = await socket.receive_output(TIMEOUT)
        if output["type"] != "websocket.send" or orjson.loads(output["text"])["type"] != COUNTS:
            return output


class CatchUpFrameTests(TestCase):
    """A reconnecting page's answer in frames daphne can send (at most ``live.MAX_FRAME_BYTES`` each)."""

    def test_a_catch_up_too_big_for_one_frame_comes_in_parts_with_more_on_the_last(self):
        long_name = "\N{FIRE}" * 200  # 800 bytes of UTF-8: 100 such alarms take about 100 kB
        stored = [services.alarm_store_batch(events=[event(name=long_name, building_id=n + 1)])[0] for n in range(101)]

        with self.settings(ALARMS_LIVE_WINDOW=100):
            frames = catch_up_frames(since=0, unacknowledged=[])

        self.assertEqual(frames[-1]["type"], COUNTS)
        frames = frames[:-1]
        self.assertGreater(len(frames), 1)
        self.assertTrue(all(len(orjson.dumps(frame)) <= live.MAX_FRAME_BYTES for frame in frames))
        self.assertEqual({frame["type"] for frame in frames}, {"catchup"})
        ids = [alarm["id"] for frame in frames for alarm in frame["alarms"]]
        self.assertEqual(ids, [alarm.pk for alarm in reversed(stored)][:100])  # newest first, none twice
        self.assertEqual([frame.get("more") for frame in frames], [None] * (len(frames) - 1) + [True])

    def test_many_acknowledgements_come_in_parts_too(self):
        alarms = stored_alarms(300)
        services.alarm_acknowledge_many(
            alarm_ids=[a.pk for a in alarms], by="\N{LATIN SMALL LETTER E WITH ACUTE}" * 150
        )

        frames = catch_up_frames(since=alarms[-1].pk, unacknowledged=[a.pk for a in alarms])

        acknowledged = [frame for frame in frames if frame["type"] == "acknowledged"]
        self.assertEqual(frames[0]["type"], "catchup")
        self.assertGreater(len(acknowledged), 1)
        self.assertTrue(all(len(orjson.dumps(frame)) <= live.MAX_FRAME_BYTES for frame in acknowledged))
        self.assertEqual(sorted(a["id"] for frame in acknowledged for a in frame["alarms"]), [a.pk for a in alarms])
        self.assertEqual(Alarm.objects.filter(acknowledged_at__isnull=True).count(), 0)


@override_settings(ALARMS_LIVE_SUBJECT=f"test.{uuid.uuid4().hex}.alarms.live")
class AlarmFeedConsumerTests(NatsTestMixin, TransactionTestCase):
    def setUp(self):
        super().setUp()
        self.cookie = session_cookie(User.objects.create_user("watcher"))

    async def test_it_catches_a_page_up_newest_first(self):
        alarms = await database_sync_to_async(stored_alarms)(3)

        async with feed(self.cookie) as socket:
            frame = await resume(socket)

        self.assertEqual(frame["type"], "catchup")
        self.assertEqual([a["id"] for a in frame["alarms"]], [a.pk for a in reversed(alarms)])
        self.assertIs(frame["more"], False)

    async def test_it_pushes_each_alarm_stored_after_connecting_exactly_once(self):
        async with feed(self.cookie) as socket:
            self.assertEqual((await resume(socket))["alarms"], [])

            stored = await database_sync_to_async(services.alarm_store_batch)(events=[event(name="A"), event(name="B")])
            frame = await news(socket)
            await database_sync_to_async(services.alarm_store_batch)(events=[event(id=stored[0].event_id)])
            # A marker stored after the duplicate: its push travels the same subject, so a push
            # of the duplicate would arrive before it.
            await database_sync_to_async(services.alarm_store_batch)(events=[event(name="Marker")])
            next_frame = await news(socket)

        self.assertEqual(frame["type"], "created")
        self.assertEqual([a["name"] for a in frame["alarms"]], ["A", "B"])
        self.assertEqual(frame["alarms"][0]["event_id"], str(stored[0].event_id))
        self.assertEqual([a["name"] for a in next_frame["alarms"]], ["Marker"], "a duplicate event was pushed again")

    async def test_it_pushes_an_acknowledgement_to_every_open_page(self):
        [alarm] = await database_sync_to_async(stored_alarms)(1)

        async with feed(self.cookie) as first, feed(self.cookie) as second:
            await resume(first)
            await resume(second)
            await database_sync_to_async(services.alarm_acknowledge)(alarm=alarm, by="jane")
            frames = [await news(first), await news(second)]

        for frame in frames:
            self.assertEqual(frame["type"], "acknowledged")
            self.assertEqual([(a["id"], a["acknowledged_by"]) for a in frame["alarms"]], [(alarm.pk, "jane")])

    async def test_it_tells_a_reconnecting_page_which_of_its_rows_were_acknowledged_meanwhile(self):
        alarms = await database_sync_to_async(stored_alarms)(2)
        await database_sync_to_async(services.alarm_acknowledge)(alarm=alarms[0], by="jane")

        async with feed(self.cookie) as socket:
            catch_up = await resume(socket, since=alarms[1].pk, unacknowledged=[a.pk for a in alarms])
            acknowledged = await news(socket)

        self.assertEqual(catch_up["type"], "catchup")
        self.assertEqual(acknowledged["type"], "acknowledged")
        self.assertEqual([a["id"] for a in acknowledged["alarms"]], [alarms[0].pk])

    async def test_it_ends_a_resume_with_the_true_counts_and_sends_every_page_new_ones_after_a_change(self):
        await database_sync_to_async(stored_alarms)(3)

        async with feed(self.cookie) as first, feed(self.cookie) as second:
            await resume(first)
            on_resume = await first.receive_json_from(TIMEOUT)
            await resume(second)
            await second.receive_json_from(TIMEOUT)
            [alarm] = await database_sync_to_async(stored_alarms)(1)
            await database_sync_to_async(services.alarm_acknowledge)(alarm=alarm, by="jane")
            await database_sync_to_async(stored_alarms)(1, severity="critical")
            latest = []
            for socket in (first, second):
                while (frame := await socket.receive_json_from(TIMEOUT))["type"] != COUNTS or (
                    frame["counts"]["open"] < 5
                ):
                    pass
                latest.append(frame)

        self.assertEqual((on_resume["type"], on_resume["counts"]["unacknowledged"]), (COUNTS, 3))
        self.assertEqual(set(on_resume), {"type", "counts", "flood", "groups"})
        for frame in latest:
            self.assertEqual((frame["counts"]["open"], frame["counts"]["unacknowledged"]), (5, 4))
            self.assertEqual(frame["groups"]["buildings"][0]["rank"], 0)  # the critical one's

    async def test_it_answers_malformed_messages_with_errors_and_stays_open(self):
        async with feed(self.cookie) as socket:
            await socket.send_to(text_data="not json")
            not_json = await socket.receive_json_from(TIMEOUT)
            await socket.send_json_to({"type": "resume", "since": "yesterday"})
            bad_field = await socket.receive_json_from(TIMEOUT)
            await socket.send_json_to({"type": "resume", "since": 2**70})
            too_large = await socket.receive_json_from(TIMEOUT)
            await socket.send_to(bytes_data=b"\x00\x01")
            binary = await socket.receive_json_from(TIMEOUT)
            still_open = await resume(socket)

        self.assertEqual(not_json["type"], "error")
        self.assertEqual(bad_field, {"type": "error", "errors": {"since": ["Must be an integer."]}})
        self.assertEqual(too_large["type"], "error")
        self.assertEqual(binary["type"], "error")
        self.assertEqual(still_open["type"], "catchup")

    async def test_it_ignores_foreign_messages_on_the_live_subjects(self):
        async with feed(self.cookie) as socket:
            await resume(socket)
            for body in ([1, 2], {"alarms": "not a list"}, {"unrelated": True}):
                await sync_to_async(get_client().publish)(live.live_subject(live.CREATED), body)
            # A real alarm after them on the same subject: had a foreign message been forwarded,
            # it would come first.
            await database_sync_to_async(services.alarm_store_batch)(events=[event(name="Marker")])
            next_frame = await news(socket)
            still_open = await resume(socket)

        self.assertEqual((next_frame["type"], [a["name"] for a in next_frame["alarms"]]), ("created", ["Marker"]))
        self.assertEqual(still_open["type"], "catchup")

    async def test_it_refuses_a_signed_in_socket_from_another_origin(self):
        communicator = socket_to_feed(self.cookie, origin=b"http://evil.example")

        connected, _ = await communicator.connect(timeout=TIMEOUT)

        self.assertFalse(connected)

    async def test_it_closes_an_anonymous_socket_as_signed_out_before_sending_anything(self):
        communicator = socket_to_feed(cookie=None)

        await communicator.connect(timeout=TIMEOUT)
        closed = await communicator.receive_output(TIMEOUT)

        self.assertEqual(closed, {"type": "websocket.close", "code": CLOSE_SIGNED_OUT})

    async def test_it_closes_a_socket_whose_session_has_ended(self):
        await database_sync_to_async(lambda: Session.objects.all().delete())()
        communicator = socket_to_feed(self.cookie)

        await communicator.connect(timeout=TIMEOUT)
        closed = await communicator.receive_output(TIMEOUT)

        self.assertEqual(closed, {"type": "websocket.close", "code": CLOSE_SIGNED_OUT})

    async def test_it_asks_the_page_to_come_back_later_when_nats_is_unreachable(self):
        with self.settings(NATS_URL="nats://127.0.0.1:1"):
            communicator = socket_to_feed(self.cookie)
            try:
                await communicator.connect(timeout=TIMEOUT)
                closed = await communicator.receive_output(TIMEOUT)
            finally:
                await stop_forwarding()

        self.assertEqual(closed, {"type": "websocket.close", "code": CLOSE_TRY_AGAIN})

    async def test_it_closes_its_sockets_when_this_process_loses_nats_so_pages_catch_up(self):
        server = NatsServer().start()
        try:
            with self.settings(NATS_URL=server.url):
                async with feed(self.cookie) as socket:
                    await resume(socket)
                    await sync_to_async(server.stop)()
                    closed = await output_past_counts(socket)
        finally:
            server.stop()

        self.assertEqual(closed, {"type": "websocket.close", "code": CLOSE_FEED_LOST})
