"""The outbox relay: sends the site's pending outbox requests until each is answered."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING

from django.conf import settings
from nats.aio.client import Client

from bridge.connection import request_headers, send_request
from bridge.errors import BridgeError, RemoteError
from bridge.metrics import MESSAGES, OUTBOX_BACKLOG
from bridge.models import OutboxMessage
from bridge.outbox import outbox_backlog, outbox_claim_due, outbox_complete, outbox_fail, outbox_retry_later
from bridge.routes import RouteTable
from bridge.tracing import clean_trace_id, trace_id_var

if TYPE_CHECKING:
    from bridge.runner import Bridge

logger = logging.getLogger("bridge.outbox")

BATCH = 100
IDLE_POLL_SECONDS = 1.0


class OutboxRelay:
    """Claims due messages, sends them concurrently, records each outcome."""

    def __init__(self, table: RouteTable, *, nc: Client, bridge: Bridge) -> None:
        self.table = table
        self.nc = nc
        self.bridge = bridge

    async def run(self) -> None:
        """Relay until the bridge is stopping; a full batch means look again at once."""
        while not self.bridge.stopping.is_set():
            try:
                sent = await self.relay_once()
            except Exception as error:  # e.g. the database is down: keep the loop alive
                logger.warning("outbox relay pass failed: %s", error)
                sent = 0
            if sent < BATCH:
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(self.bridge.stopping.wait(), IDLE_POLL_SECONDS)

    async def relay_once(self) -> int:
        """One pass: returns how many messages were sent."""
        messages = await self.bridge.run_sync(outbox_claim_due, limit=BATCH)
        OUTBOX_BACKLOG.set(await self.bridge.run_sync(outbox_backlog))
        await asyncio.gather(*(self._deliver(message) for message in messages))
        return len(messages)

    async def _deliver(self, message: OutboxMessage) -> None:
        trace_id_var.set(clean_trace_id(message.trace_id))
        headers = request_headers(trace_id=trace_id_var.get(), idempotency_key=message.key)
        try:
            reply = await send_request(
                self.nc,
                message.subject,
                message.payload,
                timeout=settings.NATS_REQUEST_TIMEOUT,
                headers=headers,
                wire=self.table.outbox(message.subject).wire,
            )
        except RemoteError as error:
            MESSAGES.labels(message.subject, "outbox", "refused").inc()
            if error.is_permanent:
                await self.bridge.run_sync(
                    outbox_fail, table=self.table, message_id=message.pk, error=f"{error} {error.errors or ''}"
                )
            else:
                await self.bridge.run_sync(outbox_retry_later, message_id=message.pk, error=str(error))
            return
        except BridgeError as error:
            MESSAGES.labels(message.subject, "outbox", "retry").inc()
            logger.info("outbox %s %s not delivered yet: %s", message.subject, message.key, error)
            await self.bridge.run_sync(outbox_retry_later, message_id=message.pk, error=str(error))
            return
        MESSAGES.labels(message.subject, "outbox", "delivered").inc()
        await self.bridge.run_sync(outbox_complete, table=self.table, message=message, reply=reply)
        logger.info("outbox %s %s delivered (attempt %d)", message.subject, message.key, message.attempts)
