"""Announced events: stored with the change, published by the relay onto JetStream once, against a real NATS."""

from __future__ import annotations

import asyncio

import nats
import orjson
from django.db import transaction
from django.test import TransactionTestCase
from rest_framework import serializers

from bridge.outbox.models import OutboxMessage
from bridge.outbox.relay import OutboxRelay
from bridge.outbox.services import outbox_announce
from bridge.routes import Announce, RouteTable
from bridge.runner import Bridge
from bridge.testing import NatsServer, NatsTestMixin
from natswire.connection import connect
from natswire.tracing import TRACE_HEADER


class ThingSerializer(serializers.Serializer):
    thingId = serializers.IntegerField()  # noqa: N815 - wire name


TABLE = RouteTable(
    service="things",
    version="1.0.0",
    routes=[
        Announce(subject="thing.happened", serializer=ThingSerializer, stream="THINGS", stream_subjects=("thing.>",))
    ],
)


def relay_once(url: str) -> int:
    async def run() -> int:
        bridge = Bridge(TABLE, nats_url=url, name="test-relay", concurrency=2, request_timeout=1.0)
        nc = await connect(url, name="test-relay", retry_forever=False)
        try:
            relay = OutboxRelay(TABLE, nc=nc, runtime=bridge)
            await relay._ensure_streams()
            return await relay.relay_once()
        finally:
            await nc.close()
            bridge.close_workers()

    return asyncio.run(run())


def stream_messages(url: str) -> list[tuple[dict, dict]]:
    async def read() -> list[tuple[dict, dict]]:
        nc = await nats.connect(url)
        js = nc.jetstream()
        count = (await js.stream_info("THINGS")).state.messages
        found = [await js.get_msg("THINGS", sequence) for sequence in range(1, count + 1)]
        await nc.close()
        return [(orjson.loads(message.data), dict(message.headers or {})) for message in found]

    return asyncio.run(read())


class AnnounceTests(NatsTestMixin, TransactionTestCase):
    def test_an_event_stored_with_its_change_is_published_once_with_its_key_as_message_id(self):
        with transaction.atomic():
            first = outbox_announce(subject="thing.happened", payload={"thingId": 1}, key="thing-1", trace_id="t" * 32)
            again = outbox_announce(subject="thing.happened", payload={"thingId": 1}, key="thing-1")

        self.assertIsNotNone(first)
        self.assertIsNone(again)  # the key names the event once
        self.assertEqual(relay_once(self.nats.url), 1)
        self.assertEqual(relay_once(self.nats.url), 0)

        [(payload, headers)] = [m for m in stream_messages(self.nats.url) if m[1]["Nats-Msg-Id"] == "thing-1"]
        self.assertEqual(payload, {"thingId": 1})
        self.assertEqual((headers["Nats-Msg-Id"], headers[TRACE_HEADER]), ("thing-1", "t" * 32))
        self.assertEqual(OutboxMessage.objects.get().state, "delivered")

    def test_an_event_rolled_back_with_its_change_is_never_published(self):
        try:
            with transaction.atomic():
                outbox_announce(subject="thing.happened", payload={"thingId": 2}, key="thing-2")
                raise RuntimeError("the change failed")
        except RuntimeError:
            pass

        self.assertEqual(relay_once(self.nats.url), 0)
        self.assertFalse(OutboxMessage.objects.exists())

    def test_with_jetstream_away_the_event_waits_and_is_published_when_it_is_back(self):
        outbox_announce(subject="thing.happened", payload={"thingId": 3}, key="thing-3")
        down = NatsServer().start()  # a server without the stream: the publish gets no acknowledgement
        try:
            asyncio.run(self._publish_without_stream(down.url))
        finally:
            down.stop()

        message = OutboxMessage.objects.get()
        self.assertEqual((message.state, message.attempts), ("pending", 1))
        self.assertTrue(message.last_error)
        OutboxMessage.objects.update(next_attempt_at=message.created_at)

        self.assertEqual(relay_once(self.nats.url), 1)
        published = [
            payload for payload, headers in stream_messages(self.nats.url) if headers["Nats-Msg-Id"] == "thing-3"
        ]
        self.assertEqual(published, [{"thingId": 3}])

    async def _publish_without_stream(self, url: str) -> None:
        bridge = Bridge(TABLE, nats_url=url, name="test-relay", concurrency=2, request_timeout=1.0)
        nc = await connect(url, name="test-relay", retry_forever=False)
        try:
            await OutboxRelay(TABLE, nc=nc, runtime=bridge).relay_once()
        finally:
            await nc.close()
            bridge.close_workers()
