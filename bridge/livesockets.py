"""Live frames handed straight to this process's sockets, not through the channel layer.

Channels' in-memory layer delivers a group message by putting it in every member's queue and
waking each consumer's task, which dispatches it in a task of its own: per socket and frame
about as much work as daphne's sending it. With 50 sockets at 500 alarms/s that was half of
the alarms web's CPU and most of the pages' lag (docs/performance.md). So the forwarder
(``bridge.fanout``) gives each frame to every member's ``LiveSocket.take_frame``, which sends
it at once while the consumer is idle.

Order is kept. While a consumer handles a message of its own (a page's ``resume``: it reads
the database and sends the catch-up), frames go to its channel, behind that message, as the
layer would put them; and while one frame waits there, the next ones queue behind it. What
else a group carries (the close when NATS drops, the counts) still goes through the layer.
"""

from __future__ import annotations

import logging
from typing import Any

from channels.exceptions import ChannelFull

logger = logging.getLogger("bridge.fanout")

# Channels message type of a WebSocket text frame to send as it is: {"type": LIVE_FRAME, "text": str}.
LIVE_FRAME = "live.frame"
_QUEUED = "queued"  # set on a frame that ``take_frame`` put in the consumer's channel


class LiveSocket:
    """Mixin for a Channels WebSocket consumer that follows live groups (``join_live``, ``leave_live``)."""

    _handling = False  # dispatching a message of its own
    _queued = 0  # frames put in its channel and not sent yet

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        """The socket's whole life; however it ends (a crash included), it leaves every live group here."""
        try:
            await super().__call__(scope, receive, send)
        finally:
            LIVE_SOCKETS.forget(self)

    async def join_live(self, group: str) -> None:
        """Follow ``group``: its frames from the forwarder, and whatever else is sent to the group."""
        await self.channel_layer.group_add(group, self.channel_name)
        LIVE_SOCKETS.add(group, self)

    async def leave_live(self, group: str) -> None:
        LIVE_SOCKETS.discard(group, self)
        await self.channel_layer.group_discard(group, self.channel_name)

    async def take_frame(self, text: str) -> None:
        """Send ``text`` now, or after what this consumer is doing and the frames queued before it."""
        if not (self._handling or self._queued):
            await self.send(text_data=text)
            return
        self._queued += 1
        try:
            await self.channel_layer.send(self.channel_name, {"type": LIVE_FRAME, "text": text, _QUEUED: True})
        except ChannelFull:  # as the layer's group_send does: the page catches up when it reconnects
            self._queued -= 1
            logger.warning("live frame dropped for a socket whose queue is full")

    async def dispatch(self, message: dict[str, Any]) -> None:
        """Send live frames straight to the socket; everything else as Channels does.

        Channels closes stale database connections before each message it dispatches, a hop
        to a worker thread, for a frame that touches no database.
        """
        if message["type"] == LIVE_FRAME:
            try:
                await self.send(text_data=message["text"])
            finally:
                if message.get(_QUEUED):  # counted until sent, so no later frame overtakes it
                    self._queued -= 1
            return
        self._handling = True
        try:
            await super().dispatch(message)
        finally:
            self._handling = False


class LiveSockets:
    """The sockets of each live group in this process."""

    def __init__(self) -> None:
        self._members: dict[str, dict[LiveSocket, None]] = {}  # insertion-ordered sets

    def add(self, group: str, socket: LiveSocket) -> None:
        self._members.setdefault(group, {})[socket] = None

    def discard(self, group: str, socket: LiveSocket) -> None:
        self._members.get(group, {}).pop(socket, None)

    def forget(self, socket: LiveSocket) -> None:
        """``socket`` leaves every group (it is gone)."""
        for members in self._members.values():
            members.pop(socket, None)

    async def send(self, group: str, text: str) -> None:
        """Give one frame to every socket of ``group`` here; one that fails does not stop the others."""
        for socket in list(self._members.get(group, ())):
            try:
                await socket.take_frame(text)
            except Exception:
                logger.exception("live frame not sent to one socket of %s", group)


LIVE_SOCKETS = LiveSockets()
