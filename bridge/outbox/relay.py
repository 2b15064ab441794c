"""The outbox relay: sends pending outbox requests until each is answered, and publishes announced events."""

from __future__ import annotations

import asyncio
import contextlib
import logging

import nats.errors
import orjson
from django.conf import settings
from nats.aio.client import Client

from bridge.events import ensure_stream, stream_config
from bridge.metrics import MESSAGES, OUTBOX_BACKLOG
from bridge.outbox.claim import outbox_claim_due
from bridge.outbox.models import OutboxMessage
from bridge.outbox.services import (
    DELIVERED,
    FAILED,
    PENDING,
    outbox_backlog,
    outbox_published_many,
    outbox_settle,
)
from bridge.routes import Announce, RouteTable
from bridge.runtime import Runtime
from natswire.connection import request_headers, send_request
from natswire.errors import BridgeError
from natswire.tracing import TRACE_HEADER, clean_trace_id, trace_id_var

logger = logging.getLogger("bridge.outbox")

BATCH = 100
SETTLING = 4  # sends' outcomes written at once: each takes a worker thread and its database connection
IDLE_POLL_SECONDS = 1.0
# The ``result`` label of bridge_messages_total for each way a send can end.
RESULT_LABELS = {DELIVERED: "delivered", FAILED: "refused", PENDING: "retry"}


class OutboxRelay:
    """Claims due messages, sends them concurrently, records each outcome."""

    def __init__(self, table: RouteTable, *, nc: Client, runtime: Runtime) -> None:
        self.table = table
        self.nc = nc
        self.runtime = runtime
        self._settling = asyncio.Semaphore(SETTLING)

    async def run(self) -> None:
        """Relay until the bridge is stopping; a full batch means look again at once."""
        await self._ensure_streams()
        while not self.runtime.stopping.is_set():
            try:
                sent = await self.relay_once()
            except Exception as error:  # e.g. the database is down: keep the loop alive
                logger.warning("outbox relay pass failed: %s", error)
                sent = 0
            if sent < BATCH:
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(self.runtime.stopping.wait(), IDLE_POLL_SECONDS)

    async def relay_once(self) -> int:
        """One pass: returns how many messages were sent.

        Sends go out together; their outcomes are written a few at a time (``SETTLING``) and
        announced events' in one call, so a backlog does not open a database connection per
        message in the bridge's worker threads.
        """
        messages = await self.runtime.run_sync(outbox_claim_due, limit=BATCH)
        OUTBOX_BACKLOG.set(await self.runtime.run_sync(outbox_backlog))
        events = [message for message in messages if self.table.announce(message.subject) is not None]
        requests = [message for message in messages if self.table.announce(message.subject) is None]
        await asyncio.gather(self._publish_all(events), *(self._deliver(message) for message in requests))
        return len(messages)

    async def _ensure_streams(self) -> None:
        """The streams announced events go to exist (created or updated, as every bridge using them does)."""
        for route in self.table.of_kind(Announce):
            while not self.runtime.stopping.is_set():
                try:
                    await ensure_stream(self.nc, stream_config(route))
                    break
                except (nats.errors.Error, TimeoutError) as error:
                    logger.warning("JetStream not ready for stream %s (%r); retrying", route.stream, error)
                    with contextlib.suppress(asyncio.TimeoutError):
                        await asyncio.wait_for(self.runtime.stopping.wait(), IDLE_POLL_SECONDS)

    async def _deliver(self, message: OutboxMessage) -> None:
        trace_id_var.set(clean_trace_id(message.trace_id))
        headers = request_headers(trace_id=trace_id_var.get(), idempotency_key=message.key)
        reply, error = None, None
        try:
            reply = await send_request(
                self.nc,
                message.subject,
                message.payload,
                timeout=settings.NATS_REQUEST_TIMEOUT,
                headers=headers,
                wire=self.table.outbox(message.subject).wire,
            )
        except BridgeError as failure:
            error = failure
        async with self._settling:
            delivery = await self.runtime.run_sync(
                outbox_settle, table=self.table, message=message, reply=reply, error=error
            )
        MESSAGES.labels(message.subject, "outbox", RESULT_LABELS[delivery.state]).inc()
        if delivery.state == DELIVERED:
            logger.info("outbox %s %s delivered (attempt %d)", message.subject, message.key, message.attempts)
        elif delivery.state == PENDING:
            logger.info("outbox %s %s not delivered yet: %s", message.subject, message.key, delivery.reason)

    async def _publish_all(self, messages: list[OutboxMessage]) -> None:
        """Publish announced events together; JetStream's acknowledgements are their deliveries, recorded at once."""
        if not messages:
            return
        errors = await asyncio.gather(*(self._publish(message) for message in messages))
        outcomes = list(zip(messages, errors, strict=True))
        states = await self.runtime.run_sync(outbox_published_many, outcomes=outcomes)
        for (message, error), state in zip(outcomes, states, strict=True):
            MESSAGES.labels(message.subject, "announce", RESULT_LABELS[state]).inc()
            if error is not None:
                logger.info("announcing %s %s failed, retrying later: %r", message.subject, message.key, error)

    async def _publish(self, message: OutboxMessage) -> Exception | None:
        """Publish one announced event; the error when JetStream did not acknowledge it."""
        headers = {"Nats-Msg-Id": message.key}
        if message.trace_id:
            headers[TRACE_HEADER] = clean_trace_id(message.trace_id)
        try:
            await self.nc.jetstream().publish(
                message.subject, orjson.dumps(message.payload), headers=headers, timeout=settings.NATS_REQUEST_TIMEOUT
            )
        except (nats.errors.Error, TimeoutError) as failure:
            return failure
        return None
