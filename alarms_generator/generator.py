"""The generator process: connect, publish a tick of events every interval, stop on SIGTERM.

Shape as in nats.py's examples: ``asyncio.Event`` set by SIGTERM/SIGINT, one connection held
in an ``AsyncExitStack``, ``drain()`` on the way out. Every publish waits for JetStream's
acknowledgement and is retried until it comes: the event id is the ``Nats-Msg-Id``, so a
retry of a publish that did land is dropped by the stream as a duplicate.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections import Counter
from typing import Any

import nats.errors
import orjson
from nats.aio.client import Client

from alarms_generator.lifecycle import Kind
from alarms_generator.options import Options
from alarms_generator.ticks import Message, Ticks
from natswire.connection import open_connection, redact_url
from natswire.envelope import nest_event
from natswire.errors import NatsAuthorizationFailed
from natswire.shutdown import on_stop_signals
from natswire.tracing import TRACE_HEADER

logger = logging.getLogger("alarms_generator")

CONNECT_TIMEOUT_SECONDS = 3.0
RECONNECT_SECONDS = 0.5
UNREACHABLE_LOG_SECONDS = 10.0
PUBLISH_TIMEOUT_SECONDS = 5.0
MAX_RETRY_SECONDS = 10.0
IN_FLIGHT = 256  # publishes awaiting their acknowledgement at once, in a burst


class Pace:
    """Ticks on a fixed schedule, so the time a tick takes does not slow the rate asked for.

    After a stall longer than one interval the schedule restarts from now instead of
    bursting to catch up.
    """

    def __init__(self, interval: float, clock=time.monotonic) -> None:
        self.interval = interval
        self.clock = clock
        self.next_tick = clock()

    def wait(self) -> float:
        """Seconds to sleep until the next tick is due."""
        now = self.clock()
        self.next_tick += self.interval
        if self.next_tick < now - self.interval:
            self.next_tick = now
        return max(0.0, self.next_tick - now)


class Generator:
    """Publishes alarms as ``options`` say until ``count`` is reached or ``stop()`` is called.

    ``published`` and ``failed`` count alarm.created events (what ``--count`` counts),
    ``cleared`` the alarm.cleared events stored.
    """

    def __init__(self, options: Options) -> None:
        self.options = options
        self.stopping = asyncio.Event()
        self.published = 0
        self.failed = 0
        self.cleared = 0
        self._ticks = Ticks(options)
        self._slots = asyncio.Semaphore(IN_FLIGHT)
        self._connected_once = False
        self._closing = False
        self._unreachable_since: float | None = None
        self._unreachable_logged = 0.0

    def install_signal_handlers(self) -> None:
        """SIGTERM and SIGINT: finish the tick in flight, drain, exit 0."""
        on_stop_signals(self.stop)

    def stop(self) -> None:
        """Ask the generator to finish the tick in flight and exit."""
        if not self.stopping.is_set():
            logger.info("stopping after %d alarms", self.published)
            self.stopping.set()

    async def run(self) -> int:
        """Publish until done or stopped; returns the exit code (1: NATS refused our user)."""
        async with contextlib.AsyncExitStack() as stack:
            try:
                nc = await self.connect()
            except NatsAuthorizationFailed as error:
                logger.error("%s", error)
                return 1
            if nc is None:
                return 0
            stack.push_async_callback(self._drain, nc)
            js = nc.jetstream(timeout=PUBLISH_TIMEOUT_SECONDS)
            logger.info(
                "publishing %s every %.3gs, %d at a time, buildings %d-%d, to %s%s",
                self.options.subject,
                self.options.interval,
                self.options.burst,
                *self.options.buildings,
                redact_url(self.options.nats_url),
                self._extras(),
            )
            pace = Pace(self.options.interval)
            while not self.stopping.is_set() and not self.done:
                await self.tick(js)
                if not self.done:
                    await self._sleep(pace.wait())
        clears = f", {self.cleared} cleared" if self.options.cleared_subject else ""
        failed = f", {self.failed} not published" if self.failed else ""
        logger.info("published %d alarms%s%s", self.published, clears, failed)
        return 0

    def _extras(self) -> str:
        """The start-up line's end: lifecycles and flood, when asked for."""
        extras = ""
        if self.options.cleared_subject:
            extras += f"; points raise, repeat and clear ({self.options.cleared_subject}), "
            extras += f"{self.options.chattering:.0%} of them chattering"
        if self.options.flood_size:
            extras += f"; first a flood of {self.options.flood_size} alarms within {self.options.flood_seconds:g}s"
        return extras

    @property
    def done(self) -> bool:
        """Whether ``--count`` alarms have been dealt with (published, or given up at shutdown)."""
        return bool(self.options.count) and self.published + self.failed >= self.options.count

    async def connect(self) -> Client | None:
        """Connect, retrying (with a clear message) until NATS answers or we are stopped.

        nats.py itself retries the first connection forever when reconnects are unlimited;
        racing it against ``stopping`` keeps SIGTERM working while NATS is away. A refused
        user or password raises ``NatsAuthorizationFailed``: no retry would fix it.
        """
        connecting = asyncio.create_task(
            open_connection(
                self.options.nats_url,
                name="alarms-generator",
                user=self.options.nats_user,
                password=self.options.nats_password,
                connect_timeout=CONNECT_TIMEOUT_SECONDS,
                reconnect_time_wait=RECONNECT_SECONDS,
                error_cb=self._on_error,
                disconnected_cb=self._on_disconnected,
                reconnected_cb=self._on_reconnected,
            )
        )
        stopping = asyncio.create_task(self.stopping.wait())
        await asyncio.wait({connecting, stopping}, return_when=asyncio.FIRST_COMPLETED)
        stopping.cancel()
        if not connecting.done():
            connecting.cancel()
            return None
        nc = connecting.result()
        self._connected_once = True
        if self._unreachable_since is not None:
            logger.info("NATS at %s answers now", redact_url(self.options.nats_url))
        return nc

    async def tick(self, js: Any) -> None:
        """Publish one tick's events concurrently, each until JetStream has stored it."""
        most = self.options.count - self.published - self.failed if self.options.count else None
        messages = self._ticks.next(most_created=most)
        results = await asyncio.gather(*(self.publish(js, message) for message in messages))
        stored = [message for message, ok in zip(messages, results, strict=True) if ok]
        created = sum(message.creates for message in messages)
        stored_created = sum(message.creates for message in stored)
        self.published += stored_created
        self.failed += created - stored_created
        self.cleared += len(stored) - stored_created
        if stored:
            logger.info("%s", describe(stored))

    async def publish(self, js: Any, message: Message) -> bool:
        """Publish until stored; False when stopped before that."""
        subject, event = message.subject, message.payload
        body = nest_event(subject, event) if self.options.wire == "nestjs" else orjson.dumps(event)
        headers = {"Nats-Msg-Id": event["id"], TRACE_HEADER: uuid.uuid4().hex}
        attempt = 0
        async with self._slots:
            while True:
                try:
                    await js.publish(subject, body, headers=headers)
                    return True
                except nats.errors.NoRespondersError:
                    reason = f"no JetStream stream captures {subject} yet (start the alarms bridge)"
                except (TimeoutError, nats.errors.Error) as error:
                    reason = str(error) or type(error).__name__
                if self.stopping.is_set():
                    return False
                attempt += 1
                delay = min(MAX_RETRY_SECONDS, 0.25 * 2**attempt)
                if attempt == 1 or attempt % 5 == 0:
                    logger.warning(
                        "publishing %s %s failed (%s); retrying in %.1fs", subject, event["id"], reason, delay
                    )
                await self._sleep(delay)

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.stopping.wait(), seconds)

    async def _drain(self, nc: Client) -> None:
        self._closing = True
        if not nc.is_closed:
            with contextlib.suppress(Exception):  # best effort on the way out
                await nc.drain()

    async def _on_error(self, error: Exception) -> None:
        reason = str(error) or type(error).__name__
        if self._connected_once:
            logger.warning("NATS error: %s", reason)
            return
        # Still trying the first connection: say so at once, then every UNREACHABLE_LOG_SECONDS.
        now = asyncio.get_running_loop().time()
        if self._unreachable_since is None or now - self._unreachable_logged >= UNREACHABLE_LOG_SECONDS:
            self._unreachable_since = self._unreachable_since or now
            self._unreachable_logged = now
            logger.error(
                "NATS is unreachable at %s (%s); retrying every %.1fs",
                redact_url(self.options.nats_url),
                reason,
                RECONNECT_SECONDS,
            )

    async def _on_disconnected(self) -> None:
        if self._connected_once and not self._closing:
            logger.warning("NATS connection lost; reconnecting")

    async def _on_reconnected(self) -> None:
        logger.info("NATS connection restored")


PAST = {"alarm": "published", Kind.RAISE: "raised", Kind.REPEAT: "repeated", Kind.CLEAR: "cleared"}


def describe(stored: list[Message]) -> str:
    """One log line for a tick's stored events: the event itself when alone, else counts."""
    if len(stored) == 1:
        message = stored[0]
        event = message.payload
        severity = f"{event['severity']} " if "severity" in event else ""
        where = f" at {event['source']}" if "source" in event else ""
        return f"{PAST[message.kind]} {severity}alarm {event['name']!r}{where} for building {event['buildingId']}"
    created = [message for message in stored if message.creates]
    severities = Counter(message.payload["severity"] for message in created)
    text = f"published {len(created)} alarms"
    if severities:
        text += f" ({', '.join(f'{n} {severity}' for severity, n in severities.items())})"
    if repeats := sum(message.kind == Kind.REPEAT for message in created):
        text += f", {repeats} of them repeats"
    if clears := len(stored) - len(created):
        text += f", {clears} cleared"
    return text
