"""Abusive WebSocket clients against the real daphne process: nobody else notices them.

Each test runs the alarms web process (daphne, real PostgreSQL, real NATS) and, where alarms
must flow, an alarms bridge and the generator. Clients are ``websockets`` connections on
loopback, signed in through the sign-in form. A normal client next to the abusive ones
must still get every alarm the bridge stores.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import orjson
import pytest
import yaml
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from stack.infra import wait_for
from stack.procs import Proc
from stack.system import DAPHNE_LIMITS, REPO_ROOT, System
from tests.conftest import query
from tests.livefeed import ALARMS, TIMEOUT, Feed, resume

pytestmark = pytest.mark.system

T = TypeVar("T")
QUIET = 10  # seconds without a frame after which a socket that should have more has none
CLOSE_DROPPED = 1006  # what a client sees when the connection ends without a close frame
CLOSE_TOO_BIG = 1009
CLOSE_TOO_CHATTY = 4429
CLOSE_TRY_AGAIN = 4503


def run(coroutine: Awaitable[T]) -> T:
    return asyncio.run(asyncio.wait_for(coroutine, TIMEOUT * 2))


async def open_many(feed: Feed, count: int, *, at_once: int = 25) -> list[ClientConnection]:
    """``count`` signed-in sockets, ``at_once`` handshakes at a time (each costs a session lookup)."""
    gate = asyncio.Semaphore(at_once)

    async def one() -> ClientConnection:
        async with gate:
            return await feed.open()

    return await asyncio.gather(*(one() for _ in range(count)))


async def collect_created(ws: ClientConnection, expected: int) -> set[int]:
    """Ids of the alarms in ``created`` frames, until ``expected`` arrived."""
    seen: set[int] = set()
    while len(seen) < expected:
        frame = orjson.loads(await asyncio.wait_for(ws.recv(), TIMEOUT))
        if frame["type"] == "created":
            seen.update(alarm["id"] for alarm in frame["alarms"])
    return seen


async def until(condition: Callable[[], bool]) -> None:
    """Wait for ``condition`` (checked every 50 ms), at most ``TIMEOUT`` seconds."""
    async with asyncio.timeout(TIMEOUT):
        while not condition():
            await asyncio.sleep(0.05)


def stored_ids(system: System) -> set[int]:
    return {row[0] for row in query(system, "alarms_site", "SELECT id FROM alarms_alarm")}


def start_pipeline(system: System) -> Proc:
    """The alarms web process and one bridge, ready (the bridge creates the JetStream stream)."""
    web = system.start_web(ALARMS)
    system.start_bridge(ALARMS).wait_ready()
    web.wait_ready()
    return web


def all_stored(system: System, count: int) -> set[int]:
    """The ids of the ``count`` alarms the bridge stores, once it stored them all."""

    def complete() -> set[int] | None:
        ids = stored_ids(system)
        return ids if len(ids) == count else None

    return wait_for(complete, timeout=TIMEOUT, what=f"{count} alarms stored")


def generate(system: System, count: int, *, burst: int) -> None:
    """The real generator publishes ``count`` alarms, ``burst`` at a time, as fast as it can."""
    system.start_generator("--count", str(count), "--burst", str(burst), "--rate", "50", "--seed", "7").wait_ready()


def test_it_answers_garbage_with_errors_closes_floods_and_oversized_messages_and_keeps_serving(system):
    start_pipeline(system)
    feed = Feed(system)

    async def scenario() -> dict[str, Any]:
        normal = await feed.open()
        await resume(normal)
        garbage = await feed.open()
        answers = []
        for frame in [b"\x00\xff binary", "not json", "[1, 2]", '{"type": "subscribe"}', "{" * 5000, "x" * 60_000]:
            await garbage.send(frame)
            answers.append(orjson.loads(await asyncio.wait_for(garbage.recv(), TIMEOUT))["type"])
        still_answers = (await resume(garbage))["type"]

        chatty = await feed.open()
        for _ in range(50):
            await chatty.send("{}")
        await asyncio.wait_for(chatty.wait_closed(), TIMEOUT)

        too_big = await feed.open()
        await too_big.send("x" * 100_000)
        await asyncio.wait_for(too_big.wait_closed(), TIMEOUT)

        generate(system, 20, burst=5)
        received = await collect_created(normal, 20)
        return {
            "answers": answers,
            "still_answers": still_answers,
            "chatty": chatty.close_code,
            "too_big": too_big.close_code,
            "received": received,
        }

    outcome = run(scenario())

    assert outcome["answers"] == ["error"] * 6
    assert outcome["still_answers"] == "catchup"
    assert outcome["chatty"] == CLOSE_TOO_CHATTY
    assert outcome["too_big"] == CLOSE_TOO_BIG
    assert outcome["received"] == all_stored(system, 20)


def test_it_drops_a_client_that_never_reads_while_a_normal_client_gets_every_alarm(system):
    # A small buffer, for a quick test: far less than the burst, which a reading client still keeps up with.
    system.extra_env["ALARMS_LIVE_SEND_BUFFER"] = str(512 * 1024)
    web = start_pipeline(system)
    feed = Feed(system)
    total = 3000

    async def scenario() -> tuple[set[int], int, int | None]:
        normal = await feed.open()
        await resume(normal)
        slow = await feed.open_slow_reader()
        await slow.send(orjson.dumps({"type": "resume", "since": 0, "unacknowledged": []}).decode())
        generate(system, total, burst=100)
        received = await collect_created(normal, total)
        # Only now read the slow socket: what it had buffered, then the end of a dropped connection
        # (or, were it still open, silence once the burst is over).
        buffered = 0
        with contextlib.suppress(ConnectionClosed, TimeoutError):
            while True:
                frame = orjson.loads(await asyncio.wait_for(slow.recv(), QUIET))
                buffered += len(frame.get("alarms", []))
        return received, buffered, slow.close_code

    received, slow_received, slow_close = run(scenario())

    assert received == all_stored(system, total)
    assert slow_received < total
    assert slow_close == CLOSE_DROPPED  # no close frame could get past what it did not read
    assert "bytes unsent, it is not reading" in web.log_text()


def test_it_feeds_a_normal_client_while_hundreds_of_sockets_are_open_and_refuses_those_over_the_cap(system):
    system.extra_env["ALARMS_LIVE_MAX_SOCKETS"] = "250"
    start_pipeline(system)
    feed = Feed(system)
    flood_size = 300

    async def scenario() -> tuple[set[int], list[int | None]]:
        normal = await feed.open()
        await resume(normal)
        flood = await open_many(feed, flood_size)
        await until(lambda: [ws.close_code for ws in flood].count(CLOSE_TRY_AGAIN) >= flood_size - 249)
        generate(system, 50, burst=10)
        received = await collect_created(normal, 50)
        codes = [ws.close_code for ws in flood]
        await asyncio.gather(*(ws.close() for ws in flood))
        return received, codes

    received, codes = run(scenario())

    assert received == all_stored(system, 50)
    assert codes.count(CLOSE_TRY_AGAIN) == flood_size - 249  # the normal client holds one of the 250 slots
    assert codes.count(None) == 249


def test_it_caps_incoming_messages_the_same_way_in_compose():
    compose = yaml.safe_load((REPO_ROOT / "docker-compose.yml").read_text())
    command = compose["services"]["alarms-web"]["command"]

    assert command[1 : 1 + len(DAPHNE_LIMITS)] == DAPHNE_LIMITS
