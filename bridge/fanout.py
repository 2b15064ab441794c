"""Live fan-out across processes: every committed change reaches every open socket, in every web process.

Publishing (sync code: a service in a web request, or a handler in a bridge worker thread):
``publish_on_commit(subject, payload)`` publishes on core NATS once the current transaction
has committed, so a page never sees an alarm that was rolled back. It goes through
``bridge.client.get_client()``, the thread-safe client every Django process already has: in a
web process a connection of its own, in a bridge the bridge's connection.

Receiving (async, in each daphne process): ``forward_to_group(subject, group, frames=...)``
makes sure the process holds one plain subscription to ``subject`` (no queue group: every web
process gets every message), turns the messages into the WebSocket frames the pages get, and
hands that text to each socket of the group in this process (``bridge.livesockets``: straight
to the socket, not through the channel layer). A frame is built and encoded once, not once
per socket. Messages that arrived together become frames together, so the site may merge
them: when this process falls behind, it sends fewer, larger frames and catches up, instead
of a frame per message per socket. Daphne has no lifespan events, so the first socket starts
the subscription on daphne's own event loop and later sockets reuse it.

Core NATS is at-most-once, on purpose: the database is the record, this is only the news. A
page that may have missed news catches up from the database when it reconnects; and when
this process loses NATS, every socket here is closed (``live.lost``) so that they do.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable
from typing import Any

import nats.errors
import orjson
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import transaction
from nats.aio.client import Client
from nats.aio.msg import Msg

from bridge.client import get_client
from bridge.livesockets import LIVE_SOCKETS
from natswire.connection import open_connection, redact_url
from natswire.errors import BridgeError, NatsAuthorizationFailed, NatsUnavailable

logger = logging.getLogger("bridge.fanout")

# Channels message types sent to the group: ``live.frame`` (bridge.livesockets: a WebSocket
# text frame to send as it is) and ``live.lost`` (NATS dropped: close the socket).
LIVE_LOST = "live.lost"

# Builds the frames the pages get from live messages that arrived together, as (subject,
# decoded payload) in arrival order; it may merge or drop messages.
FrameBuilder = Callable[[list[tuple[str, Any]]], list[Any]]

CONNECT_TIMEOUT_SECONDS = 3.0
READY_TIMEOUT_SECONDS = 2.0


def publish_on_commit(subject: str, payload: Any) -> None:
    """Publish ``payload`` on core NATS after the current transaction commits (at once outside one)."""
    transaction.on_commit(functools.partial(publish_now, subject, payload))


def publish_now(subject: str, payload: Any) -> None:
    """Publish on core NATS; a failure is logged, never raised.

    Raising here would fail the caller after its data is committed: the bridge would then
    redeliver a batch that is already stored, and the page would catch up anyway.
    """
    try:
        get_client().publish(subject, payload)
    except BridgeError as error:
        logger.warning("live message on %s not published (pages catch up on reconnect): %s", subject, error)


class GroupForwarder:
    """One subscription of this process, copied into one Channels group."""

    def __init__(
        self, *, url: str, subject: str, group: str, frames: FrameBuilder, user: str = "", password: str = ""
    ) -> None:
        self.url = url
        self.user = user
        self._password = password
        self.subject = subject
        self.group = group
        self.frames = frames
        self._arrived: list[tuple[str, Any]] = []
        self._sending: asyncio.Task | None = None
        self.loop = asyncio.get_running_loop()
        self.nc: Client | None = None
        self._starting: asyncio.Future | None = None
        self._closing = False

    async def ready(self) -> None:
        """Return once the subscription is live at the server; ``NatsUnavailable`` when it cannot be.

        The final flush is what lets a consumer read the database right after: anything
        committed later is published later, and the server already routes it to us.
        """
        if self.nc is None:
            if self._starting is None:
                self._starting = asyncio.ensure_future(self._start())
            try:
                await asyncio.shield(self._starting)
            except NatsAuthorizationFailed:
                self._starting = None
                raise
            except Exception as error:
                self._starting = None
                raise NatsUnavailable(f"live feed cannot reach NATS at {redact_url(self.url)}: {error!r}") from None
        if not self.nc.is_connected:
            raise NatsUnavailable(f"live feed is reconnecting to NATS at {redact_url(self.url)}")
        try:
            await self.nc.flush(timeout=READY_TIMEOUT_SECONDS)
        except (nats.errors.Error, TimeoutError) as error:
            raise NatsUnavailable(f"live feed cannot reach NATS at {redact_url(self.url)}: {error!r}") from None

    async def close(self) -> None:
        """Unsubscribe and close (tests; daphne just exits)."""
        self._closing = True
        if self._sending is not None:
            self._sending.cancel()
        if self.nc is not None and not self.nc.is_closed:
            await self.nc.close()

    async def _start(self) -> None:
        # The connection retries forever with unlimited reconnects, so bound the first attempt.
        nc = await asyncio.wait_for(
            open_connection(
                self.url,
                name=f"{settings.ROOT_URLCONF} live",
                user=self.user,
                password=self._password,
                connect_timeout=CONNECT_TIMEOUT_SECONDS,
                error_cb=self._on_error,
                disconnected_cb=self._on_disconnected,
                reconnected_cb=self._on_reconnected,
            ),
            timeout=CONNECT_TIMEOUT_SECONDS,
        )
        await nc.subscribe(self.subject, cb=self._on_message)
        self.nc = nc
        logger.info("live feed: forwarding %s to group %s", self.subject, self.group)

    async def _on_message(self, msg: Msg) -> None:
        # Never suspends: the subscription hands over everything already received before the
        # sending task runs, and that task takes it all at once.
        try:
            self._arrived.append((msg.subject, orjson.loads(msg.data)))
        except orjson.JSONDecodeError:
            logger.warning("live feed: dropped a message on %s that is not JSON", msg.subject)
            return
        if self._sending is None:
            self._sending = asyncio.ensure_future(self._send_arrived())

    async def _send_arrived(self) -> None:
        arrived, self._arrived = self._arrived, []
        self._sending = None
        for frame in self.frames(arrived):
            await LIVE_SOCKETS.send(self.group, orjson.dumps(frame).decode())

    async def _on_disconnected(self) -> None:
        if self._closing:
            return
        logger.warning("live feed: NATS connection lost; closing sockets so pages catch up")
        await get_channel_layer().group_send(self.group, {"type": LIVE_LOST})

    async def _on_reconnected(self) -> None:
        logger.info("live feed: NATS connection restored")

    async def _on_error(self, error: Exception) -> None:
        logger.warning("live feed: NATS error: %r", error)


_forwarders: dict[tuple[str, str], GroupForwarder] = {}


async def forward_to_group(subject: str, group: str, *, frames: FrameBuilder) -> None:
    """Make sure ``subject`` is forwarded to ``group`` as built by ``frames``; raises ``NatsUnavailable``.

    Call it before reading the database for a socket, and before adding the socket to the
    group: from then on, nothing committed can slip between the read and the feed.
    """
    loop = asyncio.get_running_loop()
    forwarder = _forwarders.get((subject, group))
    if forwarder is None or forwarder.loop is not loop:
        # A new event loop (each async test runs on its own) needs its own connection.
        forwarder = _forwarders[(subject, group)] = GroupForwarder(
            url=settings.NATS_URL,
            subject=subject,
            group=group,
            frames=frames,
            user=settings.NATS_USER,
            password=settings.NATS_PASSWORD,
        )
    await forwarder.ready()


async def stop_forwarding() -> None:
    """Close this event loop's forwarders (tests; a web process simply exits)."""
    loop = asyncio.get_running_loop()
    for key, forwarder in list(_forwarders.items()):
        if forwarder.loop is loop:
            del _forwarders[key]
            await forwarder.close()
