"""The alarms bridge's own steps, for tests: with no NATS, or one pass at a time against a real server.

``deliver`` runs events through the bridge's parse and store steps; ``consume`` publishes
events onto their stream and has the route's durable consumer read and store them as the
bridge does (parking the invalid ones); ``relay_once`` runs one pass of the outbox relay;
``at_once`` runs a scheduled handler in two threads at the same moment, as two bridges would.
All use the site's real route table.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any, TypeVar

import nats
import orjson
from django.db import connection

from bridge.dispatch import EventIn, parse_events, store_events
from bridge.events import EventConsumer
from bridge.outbox.relay import OutboxRelay
from bridge.routes import Event, load_routes
from bridge.runner import Bridge
from natswire.connection import connect

T = TypeVar("T")


def event_route(subject: str) -> Event:
    """The alarms site's Event route for ``subject``."""
    return next(route for route in load_routes().of_kind(Event) if route.subject == subject)


def deliver(subject: str, *bodies: Any) -> list[str]:
    """One batch (dicts as JSON, or bytes) through the bridge's parse and store steps; returns the rejection reasons."""
    route = event_route(subject)
    events = [
        EventIn(data=body if isinstance(body, bytes) else orjson.dumps(body), msg_id=None, stream_sequence=seq)
        for seq, body in enumerate(bodies, start=1)
    ]
    valid, rejected = parse_events(route, events)
    refused = store_events(route, [payload for _, payload in valid])
    return [rejection.reason for rejection in [*rejected, *refused]]


def at_once(handler: Callable[[], Any], *, bridges: int = 2) -> tuple[list[Any], list[Exception]]:
    """Run ``handler`` in ``bridges`` threads started together, each with its own connection; (results, errors)."""
    start = threading.Barrier(bridges)
    results: list[Any] = []
    errors: list[Exception] = []

    def bridge() -> None:
        try:
            start.wait(5)
            results.append(handler())
        except Exception as error:  # e.g. a duplicate failing on a unique key
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=bridge) for _ in range(bridges)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return results, errors


def consume(url: str, subject: str, bodies: list[Any], *, msg_ids: list[str] | None = None) -> list[dict[str, Any]]:
    """Publish ``bodies`` (dicts as JSON, or bytes), then read them as the bridge does; returns the dead letters.

    Each dead letter is ``{"payload": bytes, "reason": str}``.
    """
    route = event_route(subject)
    return _with_bridge(url, lambda bridge, nc: _consume(route, bridge, nc, bodies, msg_ids or [None] * len(bodies)))


def relay_once(url: str) -> int:
    """One pass of the outbox relay (requests sent, events announced); returns how many messages it took."""

    async def run(bridge: Bridge, nc: Any) -> int:
        relay = OutboxRelay(bridge.table, nc=nc, runtime=bridge)
        await relay._ensure_streams()
        return await relay.relay_once()

    return _with_bridge(url, run)


def stream_messages(url: str, stream: str) -> list[tuple[dict[str, Any], dict[str, str]]]:
    """Every message in ``stream``: (payload, headers)."""

    async def read() -> list[tuple[dict[str, Any], dict[str, str]]]:
        nc = await nats.connect(url)
        try:
            js = nc.jetstream()
            state = (await js.stream_info(stream)).state
            found = [await js.get_msg(stream, seq) for seq in range(state.first_seq, state.last_seq + 1)]
            return [(orjson.loads(message.data), dict(message.headers or {})) for message in found]
        finally:
            await nc.close()

    return asyncio.run(read())


async def _consume(
    route: Event, bridge: Bridge, nc: Any, bodies: list[Any], msg_ids: list[str | None]
) -> list[dict[str, Any]]:
    consumer = EventConsumer(route, nc=nc, runtime=bridge)
    await consumer.setup()
    js = nc.jetstream()
    parked_before = (await js.stream_info(route.dead_letter_stream_name)).state.last_seq
    for body, msg_id in zip(bodies, msg_ids, strict=True):
        data = body if isinstance(body, bytes) else orjson.dumps(body)
        await js.publish(route.subject, data, headers={"Nats-Msg-Id": msg_id} if msg_id else None)
    while (await js.consumer_info(route.stream, route.durable)).num_pending:
        await consumer.handle_batch(await consumer._fetch())
    await consumer._unsubscribe()
    parked_after = (await js.stream_info(route.dead_letter_stream_name)).state.last_seq
    letters = [
        await js.get_msg(route.dead_letter_stream_name, seq) for seq in range(parked_before + 1, parked_after + 1)
    ]
    return [{"payload": letter.data, "reason": letter.headers["Rejected-Reason"]} for letter in letters]


def _with_bridge(url: str, work: Any) -> T:
    async def run() -> T:
        bridge = Bridge(load_routes(), nats_url=url, name="test-bridge", concurrency=2, request_timeout=1.0)
        nc = await connect(url, name="test-bridge", retry_forever=False)
        try:
            return await work(bridge, nc)
        finally:
            await nc.close()
            bridge.close_workers()

    return asyncio.run(run())
