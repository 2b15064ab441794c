"""Live frames go straight to idle sockets and queue, in order, behind what a consumer is doing."""

from __future__ import annotations

import asyncio

from channels.generic.websocket import AsyncWebsocketConsumer
from channels.layers import channel_layers
from channels.testing import WebsocketCommunicator
from django.test import SimpleTestCase, override_settings

from bridge.livesockets import LIVE_SOCKETS, LiveSocket, LiveSockets

GROUP = "test-live"


class Page(LiveSocket, AsyncWebsocketConsumer):
    """Answers each message once ``gate`` opens, as a page's resume waits for its database read."""

    gate: asyncio.Event

    async def connect(self) -> None:
        await self.accept()
        await self.join_live(GROUP)

    async def disconnect(self, code: int) -> None:
        await self.leave_live(GROUP)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        await self.gate.wait()
        await self.send(text_data=f"answer to {text_data}")


@override_settings(CHANNEL_LAYERS={"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}})
class LiveSocketTests(SimpleTestCase):
    def setUp(self) -> None:
        channel_layers.backends.clear()  # a layer of this test's settings and event loop

    def test_frames_wait_behind_the_message_being_handled_and_keep_their_order(self):
        async def scenario() -> list[str]:
            Page.gate = asyncio.Event()
            page = WebsocketCommunicator(Page.as_asgi(), "/live/")
            await page.connect()
            await page.send_to(text_data="resume")
            await asyncio.sleep(0.05)  # the consumer is now waiting in its handler
            await LIVE_SOCKETS.send(GROUP, "frame 1")
            await LIVE_SOCKETS.send(GROUP, "frame 2")
            Page.gate.set()
            await LIVE_SOCKETS.send(GROUP, "frame 3")  # the handler has not resumed yet: queued too
            received = [await page.receive_from(timeout=2) for _ in range(4)]
            await LIVE_SOCKETS.send(GROUP, "frame 4")  # idle, nothing queued: straight to the socket
            received.append(await page.receive_from(timeout=2))
            (consumer,) = LIVE_SOCKETS._members[GROUP]
            received.append(f"queued {consumer._queued}")
            await page.disconnect()
            received.append(f"members {len(LIVE_SOCKETS._members[GROUP])}")
            return received

        self.assertEqual(
            asyncio.run(scenario()),
            ["answer to resume", "frame 1", "frame 2", "frame 3", "frame 4", "queued 0", "members 0"],
        )

    def test_every_open_socket_gets_each_frame(self):
        async def scenario() -> list[str]:
            Page.gate = asyncio.Event()
            pages = [WebsocketCommunicator(Page.as_asgi(), "/live/") for _ in range(3)]
            for page in pages:
                await page.connect()
            await LIVE_SOCKETS.send(GROUP, "news")
            received = [await page.receive_from(timeout=2) for page in pages]
            for page in pages:
                await page.disconnect()
            return received

        self.assertEqual(asyncio.run(scenario()), ["news"] * 3)


class Crashing(LiveSocket, AsyncWebsocketConsumer):
    async def connect(self) -> None:
        await self.accept()
        await self.join_live(GROUP)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        raise RuntimeError("a bug in the consumer")


@override_settings(CHANNEL_LAYERS={"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}})
class CrashTests(SimpleTestCase):
    def test_a_consumer_that_crashes_leaves_the_live_group(self):
        async def scenario() -> tuple[int, int]:
            channel_layers.backends.clear()
            page = WebsocketCommunicator(Crashing.as_asgi(), "/live/")
            await page.connect()
            joined = len(LIVE_SOCKETS._members[GROUP])
            await page.send_to(text_data="anything")
            with self.assertRaises(RuntimeError):
                await page.wait(timeout=2)
            return joined, len(LIVE_SOCKETS._members[GROUP])

        self.assertEqual(asyncio.run(scenario()), (1, 0))


class Failing:
    async def take_frame(self, text: str) -> None:
        raise RuntimeError("socket broke")


class Kept:
    def __init__(self) -> None:
        self.frames: list[str] = []

    async def take_frame(self, text: str) -> None:
        self.frames.append(text)


def test_a_socket_that_fails_does_not_keep_the_frame_from_the_others(caplog):
    sockets = LiveSockets()
    before, after = Kept(), Kept()
    for socket in (before, Failing(), after):
        sockets.add(GROUP, socket)

    asyncio.run(sockets.send(GROUP, "news"))

    assert (before.frames, after.frames) == (["news"], ["news"])
    assert [record.getMessage() for record in caplog.records] == [f"live frame not sent to one socket of {GROUP}"]
