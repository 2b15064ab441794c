"""Durable event consumption from JetStream: batch, store, then acknowledge.

Each event route owns a stream (created or updated at start-up, so the config in the
route table is the truth) and a durable pull consumer shared by every replica: JetStream
hands each message to one replica, and redelivers it if that replica dies before acking.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import nats.errors
import nats.js.errors
from django.conf import settings
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy, StreamConfig

from bridge.dispatch import EventIn, parse_events, store_events
from bridge.metrics import BATCH_SIZE, HANDLER_SECONDS, MESSAGES, REDELIVERIES
from bridge.routes import Announce, Event
from bridge.runtime import Runtime
from natswire.tracing import TRACE_HEADER, clean_trace_id

logger = logging.getLogger("bridge.events")

DUPLICATE_WINDOW_SECONDS = 120.0
ACK_WAIT_SECONDS = 30.0
# How long the follow-up pull of a batch waits for the events that were waiting (see _fetch).
FOLLOW_UP_SECONDS = 0.02


def stream_config(route: Event | Announce) -> StreamConfig:
    """The stream that captures the route's subjects (duplicates dropped by ``Nats-Msg-Id``).

    Every bridge that reads or writes a stream declares it the same way, so whichever starts
    first creates it.
    """
    return StreamConfig(
        name=route.stream,
        subjects=list(route.stream_subjects),
        duplicate_window=DUPLICATE_WINDOW_SECONDS,
        num_replicas=settings.JETSTREAM_REPLICAS,
    )


def dead_letter_stream_config(route: Event) -> StreamConfig:
    """Where events that can never be valid are parked, for people to inspect."""
    return StreamConfig(
        name=route.dead_letter_stream_name,
        subjects=[route.dead_letter_subject],
        num_replicas=settings.JETSTREAM_REPLICAS,
    )


async def ensure_stream(nc: Client, config: StreamConfig) -> None:
    """Create the stream, or update it to ``config`` when it exists (idempotent)."""
    js = nc.jetstream()
    try:
        await js.add_stream(config)
    except nats.js.errors.BadRequestError:
        await js.update_stream(config)


class EventConsumer:
    """Reads one event route's stream in batches until the bridge stops."""

    def __init__(self, route: Event, *, nc: Client, runtime: Runtime) -> None:
        self.route = route
        self.nc = nc
        self.runtime = runtime
        self._subscription = None

    async def setup(self) -> bool:
        """Make sure the streams and the durable consumer exist; False if stopped first.

        A busy server, or a cluster still electing a stream leader, answers the JetStream
        API late. Giving up would make the bridge crash-loop, so it waits for JetStream as it
        waits for NATS itself, until it answers or the bridge is asked to stop.
        """
        attempt = 0
        while not self.runtime.stopping.is_set():
            try:
                await self._setup_once()
                return True
            except (
                nats.errors.TimeoutError,
                nats.errors.NoRespondersError,
                nats.js.errors.ServiceUnavailableError,
            ) as error:
                attempt += 1
                delay = min(5.0, 0.25 * 2**attempt)
                logger.warning("JetStream not ready for %s (%r); retrying in %.1fs", self.route.stream, error, delay)
                await asyncio.sleep(delay)
        return False

    async def _setup_once(self) -> None:
        await ensure_stream(self.nc, stream_config(self.route))
        if self.route.dead_letter_subject:
            await ensure_stream(self.nc, dead_letter_stream_config(self.route))
        consumer = ConsumerConfig(
            durable_name=self.route.durable,
            ack_policy=AckPolicy.EXPLICIT,
            deliver_policy=DeliverPolicy.ALL,
            ack_wait=ACK_WAIT_SECONDS,
            max_deliver=-1,  # failures we can retry are retried; bad payloads are terminated
            max_ack_pending=self.route.batch_size * 8,
            filter_subject=self.route.subject,
        )
        self._subscription = await self.nc.jetstream().pull_subscribe(
            self.route.subject, durable=self.route.durable, stream=self.route.stream, config=consumer
        )

    async def run(self) -> None:
        """Fetch, store and acknowledge batches until the bridge is stopping."""
        failures = 0
        while not self.runtime.stopping.is_set():
            try:
                messages = await self._fetch()
            except (TimeoutError, nats.errors.TimeoutError):
                continue
            except nats.errors.Error as error:
                logger.warning("fetching %s failed: %s", self.route.subject, error)
                await asyncio.sleep(1.0)
                continue
            try:
                stored = await self.handle_batch(messages)
            except Exception:  # never let one batch end consumption; its messages come back after ack wait
                logger.exception("handling a batch of %d %s events failed", len(messages), self.route.subject)
                stored = False
            if stored:
                failures = 0
            else:
                failures += 1
                await asyncio.sleep(min(10.0, 0.5 * 2**failures))
        await self._unsubscribe()

    async def _fetch(self) -> list[Msg]:
        """Wait for one message, then take what is already waiting behind it, up to a batch.

        A long-poll for a whole batch would hold a lone alarm until the poll expires; a
        one-message long-poll answers at once, and the follow-up takes bursts in batches.
        """
        messages = await self._subscription.fetch(batch=1, timeout=1.0)
        pending = messages[-1].metadata.num_pending
        if self.route.batch_size > 1 and pending:
            # As many as are waiting, no more: the server answers a pull at once when it can fill
            # it, and holds one it cannot until it expires, so asking for a whole batch held a
            # few alarms for the full wait (100 ms was the live page's p99). Another replica may
            # take some of those waiting meanwhile: then the short wait bounds the delay.
            with contextlib.suppress(TimeoutError, nats.errors.TimeoutError):
                messages += await self._subscription.fetch(
                    batch=min(self.route.batch_size - 1, pending), timeout=FOLLOW_UP_SECONDS
                )
        return messages

    async def _unsubscribe(self) -> None:
        """Drop the pull subscription so the connection's drain does not wait on its queue."""
        try:
            await self._subscription.unsubscribe()
        except Exception as error:  # already closed by a lost connection: nothing to release
            logger.debug("unsubscribing %s: %s", self.route.subject, error)

    async def handle_batch(self, messages: list[Msg]) -> bool:
        """Store a batch; returns False when storing failed and the batch must come back."""
        events = [
            EventIn(
                data=m.data, msg_id=(m.headers or {}).get("Nats-Msg-Id"), stream_sequence=m.metadata.sequence.stream
            )
            for m in messages
        ]
        # Decoding and validating a batch is CPU work: in a worker thread, the event loop keeps
        # reading and acknowledging meanwhile.
        valid, rejected = await self.runtime.run_sync(parse_events, self.route, events)
        subject = self.route.subject
        REDELIVERIES.labels(subject).inc(sum(1 for m in messages if m.metadata.num_delivered > 1))
        MESSAGES.labels(subject, "event", "rejected").inc(len(rejected))
        for rejection in rejected:
            await self._reject(messages[rejection.index], rejection.reason)
        try:
            BATCH_SIZE.labels(subject).observe(len(valid))
            with HANDLER_SECONDS.labels(subject).time():
                refused = await self.runtime.run_sync(store_events, self.route, [payload for _, payload in valid])
        except Exception as error:
            MESSAGES.labels(subject, "event", "failed").inc(len(valid))
            logger.error("storing %d %s events failed, will retry: %s", len(valid), self.route.subject, error)
            for index, _ in valid:
                await self._quietly(messages[index].nak(delay=2.0))
            return False
        refused_at = {valid[rejection.index][0]: rejection.reason for rejection in refused}
        MESSAGES.labels(subject, "event", "rejected").inc(len(refused_at))
        MESSAGES.labels(subject, "event", "stored").inc(len(valid) - len(refused_at))
        for index, _ in valid:
            if index in refused_at:
                await self._reject(messages[index], refused_at[index])
            else:
                await self._quietly(messages[index].ack())
        if valid:
            logger.debug("stored %d %s events", len(valid), self.route.subject)
        return True

    async def _reject(self, message: Msg, reason: str) -> None:
        # The event's own trace id, so the rejection can be followed back to its sender; one
        # without (or with an unsafe one) gets a fresh id, shared by the log line and the copy.
        trace_id = clean_trace_id((message.headers or {}).get(TRACE_HEADER))
        sequence = message.metadata.sequence.stream
        logger.warning(
            "rejected %s event (seq %s): %s", self.route.subject, sequence, reason, extra={"trace_id": trace_id}
        )
        if self.route.dead_letter_subject:
            headers = {"Rejected-Reason": reason[:1000], "Original-Subject": message.subject, TRACE_HEADER: trace_id}
            try:
                await self.nc.jetstream().publish(self.route.dead_letter_subject, message.data, headers=headers)
            except Exception as error:
                # Not parked: leave it unacknowledged so it comes back rather than vanish.
                logger.error("could not park rejected event: %s", error)
                return
        await self._quietly(message.term())

    @staticmethod
    async def _quietly(operation) -> None:
        try:
            await operation
        except Exception as error:  # an ack lost to a reconnect means a redelivery, deduplicated
            logger.warning("acknowledgement failed: %s", error)
