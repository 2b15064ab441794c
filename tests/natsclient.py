"""Small synchronous helpers for tests that talk to NATS directly."""

from __future__ import annotations

import asyncio
from typing import Any

import nats
import orjson


def request(
    url: str, subject: str, body: bytes, *, headers: dict[str, str] | None = None, timeout: float = 5.0
) -> tuple[dict[str, str], Any]:
    """Send one request; returns the reply's headers and decoded JSON body."""

    async def send() -> tuple[dict[str, str], Any]:
        nc = await nats.connect(url)
        try:
            reply = await nc.request(subject, body, headers=headers, timeout=timeout)
            return reply.headers or {}, orjson.loads(reply.data)
        finally:
            await nc.close()

    return asyncio.run(send())


def request_many(
    url: str,
    subject: str,
    bodies: list[tuple[bytes, dict[str, str]]],
    *,
    timeout: float = 10.0,
    return_exceptions: bool = False,
) -> list[Any]:
    """Send requests concurrently over one connection; returns decoded replies in order.

    With ``return_exceptions`` a failed request shows up as its exception instead of raising.
    """

    async def send() -> list[Any]:
        nc = await nats.connect(url)
        try:
            replies = await asyncio.gather(
                *(nc.request(subject, body, headers=headers, timeout=timeout) for body, headers in bodies),
                return_exceptions=return_exceptions,
            )
            return [reply if isinstance(reply, Exception) else orjson.loads(reply.data) for reply in replies]
        finally:
            await nc.close()

    return asyncio.run(send())
