"""The generator process: connect, publish a tick of alarms every interval, stop on SIGTERM.

Shape as in nats.py's examples: ``asyncio.Event`` set by SIGTERM/SIGINT, one connection held
in an ``AsyncExitStack``, ``drain()`` on the way out. Every publish waits for JetStream's
acknowledgement and is retried until it comes: the event id is the ``Nats-Msg-Id``, so a
retry of a publish that did land is dropped by the stream as a duplicate.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
import uuid
from collections import Counter
from typing import Any

import nats.errors
import orjson
from nats.aio.client import Client

from alarms_generator.alarms import new_alarm
from alarms_generator.options import Options
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
    """Publishes alarms as ``options`` say until ``count`` is reached or ``stop()`` is called."""

    def __init__(self, options: Options) -> None:
        self.options = options
        self.stopping = asyncio.Event()
        self.published = 0
        self.failed = 0
        self._rng = random.Random(options.seed)
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
                "publishing %s every %.3gs, %d at a time, buildings %d-%d, to %s",
                self.options.subject,
                self.options.interval,
                self.options.burst,
                *self.options.buildings,
                redact_url(self.options.nats_url),
            )
            pace = Pace(self.options.interval)
            while not self.stopping.is_set() and not self.done:
                await self.tick(js)
                if not self.done:
                    await self._sleep(pace.wait())
        logger.info("published %d alarms%s", self.published, f", {self.failed} not published" if self.failed else "")
        return 0

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
        """Publish one burst of alarms concurrently, each until JetStream has stored it."""
        size = self.options.burst
        if self.options.count:
            size = min(size, self.options.count - self.published - self.failed)
        alarms = [new_alarm(self._rng, buildings=self.options.buildings) for _ in range(size)]
        results = await asyncio.gather(*(self.publish(js, alarm) for alarm in alarms))
        stored = [alarm for alarm, ok in zip(alarms, results, strict=True) if ok]
        self.published += len(stored)
        self.failed += len(alarms) - len(stored)
        if len(alarms) == 1 and stored:
            alarm = stored[0]
            logger.info("published %s alarm %r for building %d", alarm["severity"], alarm["name"], alarm["buildingId"])
        elif stored:
            severities = Counter(alarm["severity"] for alarm in stored)
            logger.info("published %d alarms (%s)", len(stored), ", ".join(f"{n} {s}" for s, n in severities.items()))

    async def publish(self, js: Any, alarm: dict[str, Any]) -> bool:
        """Publish until stored; False when stopped before that."""
        body = nest_event(self.options.subject, alarm) if self.options.wire == "nestjs" else orjson.dumps(alarm)
        headers = {"Nats-Msg-Id": alarm["id"], TRACE_HEADER: uuid.uuid4().hex}
        attempt = 0
        async with self._slots:
            while True:
                try:
                    await js.publish(self.options.subject, body, headers=headers)
                    return True
                except nats.errors.NoRespondersError:
                    reason = f"no JetStream stream captures {self.options.subject} yet (start the alarms bridge)"
                except (TimeoutError, nats.errors.Error) as error:
                    reason = str(error) or type(error).__name__
                if self.stopping.is_set():
                    return False
                attempt += 1
                delay = min(MAX_RETRY_SECONDS, 0.25 * 2**attempt)
                if attempt == 1 or attempt % 5 == 0:
                    logger.warning("publishing alarm %s failed (%s); retrying in %.1fs", alarm["id"], reason, delay)
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
