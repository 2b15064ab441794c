"""The live alarm feed over WebSockets: catch up from the database, then follow NATS.

Frames to the page: ``catchup`` (alarms it may lack, newest first, and ``more`` when older
unseen ones did not fit), ``created`` (newly stored alarms), ``acknowledged`` (alarms just
acknowledged) and ``error``. From the page: ``{"type": "resume", "since": <newest id it
has, 0 for none>, "unacknowledged": [ids of its unacknowledged rows]}``, sent on every
(re)connect. Pages drop alarms they already have, so overlaps are harmless; gaps are not
possible because the feed is live before the database is read (see ``connect``).
"""

from __future__ import annotations

import logging
from typing import Any

import orjson
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings

from alarms_site.alarms import live
from alarms_site.alarms.selectors import alarm_acknowledged_among, alarm_catch_up
from alarms_site.alarms.serializers import (
    AlarmAcknowledgementSerializer,
    AlarmOutputSerializer,
    FeedResumeSerializer,
)
from bridge.errors import NatsUnavailable

logger = logging.getLogger(__name__)

# Application close codes (WebSocket allows 4000-4999): the page reconnects after each.
CLOSE_FEED_LOST = 4000
CLOSE_FORBIDDEN = 4403
CLOSE_TRY_AGAIN = 4503


def may_watch(scope: dict[str, Any]) -> bool:
    """Whether this socket may see alarms: everyone, until authentication lands (``scope["user"]``)."""
    return True


class AlarmFeedConsumer(AsyncJsonWebsocketConsumer):
    """One open live page."""

    async def connect(self) -> None:
        await self.accept()
        if not may_watch(self.scope):
            await self.close(code=CLOSE_FORBIDDEN)
            return
        try:
            # Subscribed at the NATS server before the group is joined and before any
            # database read: whatever commits after the read reaches this socket.
            await live.start_forwarding()
        except NatsUnavailable as error:
            logger.warning("live page refused for now: %s", error)
            await self.close(code=CLOSE_TRY_AGAIN)
            return
        await self.channel_layer.group_add(live.GROUP, self.channel_name)

    async def disconnect(self, code: int) -> None:
        await self.channel_layer.group_discard(live.GROUP, self.channel_name)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None, **kwargs: Any) -> None:
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

    async def dispatch(self, message: dict[str, Any]) -> None:
        """Send live frames straight to the socket; everything else as Channels does.

        Channels closes stale database connections before each message it dispatches, a hop
        to a worker thread: with 50 sockets that is 50 hops per alarm batch, for a frame that
        touches no database. The frame arrives as ready text (``bridge.live``).
        """
        if message["type"] == live.FRAME:
            await self.send(text_data=message["text"])
            return
        await super().dispatch(message)

    async def live_lost(self, event: dict[str, Any]) -> None:
        """This process lost NATS, so news may be missing: the page reconnects and catches up."""
        await self.close(code=CLOSE_FEED_LOST)

    @classmethod
    async def encode_json(cls, content: Any) -> str:
        return orjson.dumps(content).decode()


def catch_up_frames(*, since: int, unacknowledged: list[int]) -> list[dict[str, Any]]:
    """The frames answering a ``resume``: alarms the page may lack, then acknowledgements it missed."""
    catch_up = alarm_catch_up(since_id=since, limit=settings.ALARMS_LIVE_WINDOW)
    frames = [
        {"type": "catchup", "alarms": AlarmOutputSerializer(catch_up.alarms, many=True).data, "more": catch_up.more}
    ]
    if unacknowledged:
        acknowledged = alarm_acknowledged_among(alarm_ids=unacknowledged)
        if acknowledged:
            frames.append(
                {"type": "acknowledged", "alarms": AlarmAcknowledgementSerializer(acknowledged, many=True).data}
            )
    return frames
