"""A rejected event keeps its trace id: in the reject log line and in the dead letter's headers."""

from __future__ import annotations

import asyncio
import logging
import uuid
from types import SimpleNamespace

import nats
from nats.js.api import StreamConfig

from bridge.events import EventConsumer
from bridge.routes import Event
from natswire.tracing import TRACE_HEADER


def route_for(suffix: str) -> Event:
    return Event(
        subject=f"test.reject.{suffix}",
        handler=lambda payloads: None,
        serializer=None,
        stream=f"REJECT_{suffix}",
        stream_subjects=(f"test.reject.{suffix}",),
        durable="test-reject",
        dead_letter_subject=f"test.deadletter.{suffix}",
    )


async def reject_one(url: str, route: Event, headers: dict[str, str]):
    """Publish one event, fetch it as the bridge does, reject it; returns the parked copy."""
    nc = await nats.connect(url)
    try:
        js = nc.jetstream()
        await js.add_stream(StreamConfig(name=route.stream, subjects=list(route.stream_subjects)))
        await js.add_stream(StreamConfig(name=f"{route.stream}_DL", subjects=[route.dead_letter_subject]))
        await js.publish(route.subject, b'{"not": "an alarm"}', headers=headers)
        subscription = await js.pull_subscribe(route.subject, durable=route.durable, stream=route.stream)
        [message] = await subscription.fetch(batch=1, timeout=5)
        consumer = EventConsumer(route, nc=nc, runtime=SimpleNamespace())
        await consumer._reject(message, "name: This field is required.")
        return await js.get_msg(f"{route.stream}_DL", 1)
    finally:
        await nc.drain()


def test_it_logs_and_parks_a_rejected_event_with_its_trace_id(nats_server, caplog):
    suffix = uuid.uuid4().hex[:8]
    trace_id = f"trace-{suffix}"
    with caplog.at_level(logging.WARNING, logger="bridge.events"):
        parked = asyncio.run(reject_one(nats_server.url, route_for(suffix), {TRACE_HEADER: trace_id}))
    assert parked.headers[TRACE_HEADER] == trace_id
    assert parked.headers["Rejected-Reason"] == "name: This field is required."
    [line] = [record for record in caplog.records if "rejected" in record.getMessage()]
    assert line.trace_id == trace_id


def test_it_parks_an_event_without_a_trace_id_under_a_fresh_one(nats_server, caplog):
    suffix = uuid.uuid4().hex[:8]
    with caplog.at_level(logging.WARNING, logger="bridge.events"):
        parked = asyncio.run(reject_one(nats_server.url, route_for(suffix), {"Nats-Msg-Id": suffix}))
    [line] = [record for record in caplog.records if "rejected" in record.getMessage()]
    assert parked.headers[TRACE_HEADER] == line.trace_id != "-"
