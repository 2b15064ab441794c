"""The live alarm feed over WebSockets: catch up from the database, then follow NATS.

Frames to the page: ``catchup`` (alarms it may lack, newest first, and ``more`` when older
unseen ones did not fit; in several frames when they take more than one frame's 64 KiB,
``more`` on the last), ``created`` (newly stored alarms), ``acknowledged`` (alarms just
acknowledged), ``changed`` (whole alarms cleared, shelved, assigned, commented...), ``counts``
(the true counts, flood state and flood groups: after every ``resume`` answer, and whenever
they may have changed, ``alarms_site.alarms.livecounts``) and ``error``. From the page:
``{"type": "resume", "since": <newest id it has, 0 for none>, "unacknowledged": [ids of its
unacknowledged rows]}``, sent on every (re)connect. Pages drop alarms they already have, so
overlaps are harmless; gaps are not possible because the feed is live before the database is
read (see ``connect``).

Abuse is bounded (``alarms_site.alarms.sockets``): each process serves at most ``ALARMS_LIVE_MAX_SOCKETS``
sockets (more are closed with ``CLOSE_TRY_AGAIN``), a socket that sends far more than a page
does is closed with ``CLOSE_TOO_CHATTY``, and daphne drops a client that stops reading
(``alarms_site.alarms.slowclients``) and refuses frames over its maximum message size.
"""

from __future__ import annotations

import logging
from typing import Any

import orjson
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings

from alarms_site.alarms import live
from alarms_site.alarms.livecounts import CountsTicker, counts_frame
from alarms_site.alarms.selectors import alarm_acknowledged_among, alarm_catch_up
from alarms_site.alarms.serializers import (
    AlarmAcknowledgementSerializer,
    AlarmOutputSerializer,
    FeedResumeSerializer,
)
from alarms_site.alarms.sockets import MessageRate, SocketSlots
from bridge.livesockets import LiveSocket
from natswire.errors import NatsUnavailable

logger = logging.getLogger(__name__)

# Application close codes (WebSocket allows 4000-4999): the page reconnects after each,
# except after CLOSE_SIGNED_OUT, which it answers by asking for a new sign-in.
CLOSE_FEED_LOST = 4000
CLOSE_SIGNED_OUT = 4401
CLOSE_TRY_AGAIN = 4503
CLOSE_TOO_CHATTY = 4429  # like HTTP 429: a page sends one message per connection

# A page sends one ``resume`` per connection; this leaves room for retries and future
# messages, while a flood (each resume is a database read) is cut off after a few.
MESSAGES_BURST = 10
MESSAGES_PER_SECOND = 1.0

SOCKETS = SocketSlots()  # the signed-in live sockets this process serves
COUNTS = CountsTicker(group=live.GROUP, wanted=lambda: len(SOCKETS) > 0)


def may_watch(scope: dict[str, Any]) -> bool:
    """Whether this socket may see alarms: any signed-in user, as for reading them over the API."""
    user = scope.get("user")
    return user is not None and user.is_authenticated


class AlarmFeedConsumer(LiveSocket, AsyncJsonWebsocketConsumer):
    """One open live page; live frames reach it straight from the forwarder (``bridge.livesockets``)."""

    watching = False  # signed in, admitted and following the feed: only then are messages answered

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        """The socket's whole life: however it ends (a crash included), its slot is given back."""
        try:
            await super().__call__(scope, receive, send)
        finally:
            SOCKETS.release(self)

    async def connect(self) -> None:
        await self.accept()
        if not may_watch(self.scope):
            # Accepted first so the page gets the code (a refused handshake looks like a network
            # failure); nothing is read or subscribed before this point.
            await self.close(code=CLOSE_SIGNED_OUT)
            return
        if not SOCKETS.admit(self, limit=settings.ALARMS_LIVE_MAX_SOCKETS):
            logger.warning("live page refused for now: %d sockets open here (ALARMS_LIVE_MAX_SOCKETS)", len(SOCKETS))
            await self.close(code=CLOSE_TRY_AGAIN)
            return
        self.incoming = MessageRate(per_second=MESSAGES_PER_SECOND, burst=MESSAGES_BURST)
        try:
            # Subscribed at the NATS server before the group is joined and before any
            # database read: whatever commits after the read reaches this socket.
            await live.start_forwarding(on_news=COUNTS.news)
        except NatsUnavailable as error:
            logger.warning("live page refused for now: %s", error)
            await self.close(code=CLOSE_TRY_AGAIN)
            return
        await self.join_live(live.GROUP)
        self.watching = True

    async def disconnect(self, code: int) -> None:
        await self.leave_live(live.GROUP)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None, **kwargs: Any) -> None:
        # The client may have sent before it read our close (a signed-out socket, too): ignore it.
        if not self.watching:
            return
        if not self.incoming.allow():
            logger.warning("live socket closed: more messages than a page sends")
            self.watching = False
            await self.close(code=CLOSE_TOO_CHATTY)
            return
        try:
            content = orjson.loads(text_data) if text_data is not None else None
        except orjson.JSONDecodeError:
            content = None
        await self.receive_json(content)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        request = FeedResumeSerializer(data=content)
        if not request.is_valid():
            await self.send_json({"type": "error", "errors": request.errors})
            return
        data = request.validated_data
        frames = await database_sync_to_async(catch_up_frames)(
            since=data["since"], unacknowledged=data["unacknowledged"]
        )
        for frame in frames:
            await self.send_json(frame)

    async def live_lost(self, event: dict[str, Any]) -> None:
        """This process lost NATS, so news may be missing: the page reconnects and catches up."""
        await self.close(code=CLOSE_FEED_LOST)

    @classmethod
    async def encode_json(cls, content: Any) -> str:
        return orjson.dumps(content).decode()


def catch_up_frames(*, since: int, unacknowledged: list[int]) -> list[dict[str, Any]]:
    """The frames answering a ``resume``: alarms the page may lack, acknowledgements it missed, the counts now."""
    catch_up = alarm_catch_up(since_id=since, limit=settings.ALARMS_LIVE_WINDOW)
    alarms = AlarmOutputSerializer(catch_up.alarms, many=True).data
    frames = live.frames_for("catchup", alarms, max_bytes=live.MAX_FRAME_BYTES - len(', "more": false'))
    frames[-1]["more"] = catch_up.more  # on the last part: the page tells its user once
    if unacknowledged:
        acknowledged = alarm_acknowledged_among(alarm_ids=unacknowledged)
        if acknowledged:
            frames += live.frames_for("acknowledged", AlarmAcknowledgementSerializer(acknowledged, many=True).data)
    frames.append(counts_frame())
    return frames
