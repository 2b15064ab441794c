"""Live sockets of a running alarms web process, signed in as the test account, on loopback."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import orjson
from websockets.asyncio.client import ClientConnection, connect

from stack.accounts import TEST_LOGIN, session_cookie
from stack.system import System
from tests.conftest import site

ALARMS = site("alarms_site")
TIMEOUT = 60  # generous: a bound on a hang, not a speed target


class Feed:
    """Where the live feed of one running alarms web process is, and the cookie that signs in to it."""

    def __init__(self, system: System) -> None:
        self.url = system.url(ALARMS, "/ws/alarms/").replace("http://", "ws://")
        self.origin = system.url(ALARMS, "").rstrip("/")
        self.cookie = session_cookie(system.url(ALARMS, ""), TEST_LOGIN)

    async def open(self, **options: Any) -> ClientConnection:
        """A signed-in socket (no compression, no proxy: loopback only)."""
        return await connect(
            self.url,
            origin=self.origin,
            additional_headers={"Cookie": self.cookie},
            compression=None,
            proxy=None,
            **options,
        )

    async def open_slow_reader(self) -> ClientConnection:
        """A signed-in socket with tiny receive buffers, whose owner will never read it."""
        raw = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # before connecting: it sets the window
        host, port = self.origin.removeprefix("http://").split(":")
        raw.connect((host, int(port)))
        raw.setblocking(False)
        return await self.open(sock=raw, max_queue=1, ping_interval=None)


async def resume(ws: ClientConnection) -> dict:
    """Ask for a catch-up from the start, as a page does on connecting; returns the first answer."""
    await ws.send(orjson.dumps({"type": "resume", "since": 0, "unacknowledged": []}).decode())
    return orjson.loads(await asyncio.wait_for(ws.recv(), TIMEOUT))
