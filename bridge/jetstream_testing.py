"""Test support for sites with JetStream routes: a whole bridge in a thread, events in, events out.

A site's tests may not import NATS themselves (the sites reach NATS only through the
bridge), so what they need of a real server is here: the site's own bridge serving its
route table (replies, event consumers and the outbox relay, as ``runbridge`` does), a
publish into a stream, and a stream's messages read back.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import nats
import nats.js.errors
import orjson

from bridge.routes import RouteTable, load_routes
from bridge.runner import Bridge


@dataclass(frozen=True)
class StreamMessage:
    """One message as the stream stores it."""

    subject: str
    data: bytes
    headers: dict[str, str]

    @property
    def payload(self) -> Any:
        """The body, decoded from JSON."""
        return orjson.loads(self.data)


@contextlib.contextmanager
def running_bridge(url: str, table: RouteTable | None = None) -> Iterator[Bridge]:
    """The site's bridge (or ``table``'s) serving on ``url`` from a background thread until the block ends."""
    bridge = Bridge(table or load_routes(), nats_url=url, name="test-bridge", concurrency=4, request_timeout=1.0)
    ready = threading.Event()
    loop = asyncio.new_event_loop()
    outcome: list[BaseException] = []

    def serve() -> None:
        try:
            loop.run_until_complete(bridge.run(ready=ready.set))
        except BaseException as error:  # shown by the caller, not lost in the thread
            outcome.append(error)
            ready.set()
        finally:
            loop.close()

    thread = threading.Thread(target=serve, name="test-bridge", daemon=True)
    thread.start()
    if not ready.wait(30) or outcome:
        raise RuntimeError(f"the bridge did not start: {outcome}")
    try:
        yield bridge
    finally:
        loop.call_soon_threadsafe(bridge.stop)
        thread.join(60)


def publish_to_stream(url: str, subject: str, bodies: list[bytes], *, headers: list[dict[str, str]] | None = None):
    """Publish ``bodies`` to ``subject`` with JetStream, each acknowledged by its stream (which must exist)."""

    async def run() -> None:
        nc = await nats.connect(url)
        try:
            js = nc.jetstream()
            for index, body in enumerate(bodies):
                await js.publish(subject, body, headers=headers[index] if headers else None)
        finally:
            await nc.close()

    asyncio.run(run())


def stream_messages(url: str, stream: str) -> list[StreamMessage]:
    """Every message ``stream`` holds, oldest first (none when the stream does not exist)."""

    async def read() -> list[StreamMessage]:
        nc = await nats.connect(url)
        try:
            js = nc.jetstream()
            try:
                state = (await js.stream_info(stream)).state
            except nats.js.errors.NotFoundError:
                return []
            found = []
            for sequence in range(state.first_seq, state.last_seq + 1) if state.messages else ():
                message = await js.get_msg(stream, sequence)
                found.append(StreamMessage(message.subject, message.data, dict(message.headers or {})))
            return found
        finally:
            await nc.close()

    return asyncio.run(read())


def consumer_backlog(url: str, stream: str, durable: str) -> int:
    """Messages the durable consumer has not had acknowledged (or terminated) yet: waiting or in flight."""

    async def read() -> int:
        nc = await nats.connect(url)
        try:
            info = await nc.jetstream().consumer_info(stream, durable)
            return info.num_pending + info.num_ack_pending
        finally:
            await nc.close()

    return asyncio.run(read())


def wait_until(predicate: Callable[[], Any], *, timeout: float = 15.0, what: str = "the condition") -> Any:
    """Poll ``predicate`` until it returns something truthy, and return that; ``AssertionError`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    while not (value := predicate()):
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {timeout}s")
        time.sleep(0.1)
    return value
