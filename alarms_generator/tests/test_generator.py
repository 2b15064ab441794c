"""The alarms generator against a real nats-server: payloads, headers, retries and shutdown."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import sys
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import nats
import orjson
import pytest

from alarms_generator.alarms import SEVERITY_WEIGHTS, new_alarm
from alarms_generator.generator import Generator, Pace
from alarms_generator.options import parse_options
from stack import infra
from stack.procs import ProcGroup

REPO_ROOT = Path(__file__).resolve().parents[2]


# ---------- alarms


def test_it_draws_complete_alarms_within_the_building_range():
    rng = random.Random(1)

    alarms = [new_alarm(rng, buildings=(5, 7)) for _ in range(500)]

    assert {alarm["buildingId"] for alarm in alarms} == {5, 6, 7}
    assert len({alarm["id"] for alarm in alarms}) == 500
    for alarm in alarms:
        assert set(alarm) == {"id", "name", "buildingId", "severity", "occurredAt"}
        assert uuid.UUID(alarm["id"]).version == 4
        assert isinstance(alarm["name"], str) and 0 < len(alarm["name"]) <= 200
        assert datetime.fromisoformat(alarm["occurredAt"]).tzinfo is not None


def test_it_repeats_a_seeds_alarms_but_never_their_ids():
    first_rng, second_rng = random.Random(3), random.Random(3)

    first = [new_alarm(first_rng, buildings=(1, 100)) for _ in range(50)]
    second = [new_alarm(second_rng, buildings=(1, 100)) for _ in range(50)]

    assert [(a["name"], a["buildingId"], a["severity"]) for a in first] == [
        (a["name"], a["buildingId"], a["severity"]) for a in second
    ]
    assert not {a["id"] for a in first} & {a["id"] for a in second}


def test_it_weights_severities_from_common_to_rare():
    rng = random.Random(2)

    counts = Counter(new_alarm(rng, buildings=(1, 100))["severity"] for _ in range(5000))

    assert set(counts) == set(SEVERITY_WEIGHTS)
    assert counts.most_common()[0][0] == "minor"
    assert counts.most_common()[-1][0] == "critical"


# ---------- against NATS


@pytest.fixture
def nats_server(tmp_path: Path) -> Iterator[str]:
    group = ProcGroup(tmp_path / "logs")
    yield infra.start_embedded_nats(group, port=infra.free_port(), store_dir=tmp_path / "js")
    group.stop_all(timeout=10)


async def add_stream(url: str) -> None:
    nc = await nats.connect(url)
    await nc.jetstream().add_stream(name="ALARMS", subjects=["alarm.>"])
    await nc.close()


async def stored_messages(url: str) -> list:
    nc = await nats.connect(url)
    js = nc.jetstream()
    count = (await js.stream_info("ALARMS")).state.messages
    messages = [await js.get_msg("ALARMS", seq) for seq in range(1, count + 1)]
    await nc.close()
    return messages


def generate(url: str, *args: str) -> Generator:
    generator = Generator(parse_options(["--nats-url", url, "--interval", "0", *args]))
    asyncio.run(asyncio.wait_for(generator.run(), 30))
    return generator


def test_it_publishes_the_count_through_jetstream_with_msg_id_and_trace_headers(nats_server):
    asyncio.run(add_stream(nats_server))

    generator = generate(nats_server, "--count", "5", "--buildings", "3-4")

    messages = asyncio.run(stored_messages(nats_server))
    assert generator.published == 5
    assert len(messages) == 5
    for message in messages:
        alarm = orjson.loads(message.data)
        assert message.subject == "alarm.created"
        assert message.headers["Nats-Msg-Id"] == alarm["id"]
        assert len(message.headers["Trace-Id"]) == 32
        assert alarm["buildingId"] in (3, 4)


def test_it_publishes_bursts_and_nestjs_envelopes(nats_server):
    asyncio.run(add_stream(nats_server))

    generate(nats_server, "--count", "300", "--burst", "150", "--wire", "nestjs")

    messages = asyncio.run(stored_messages(nats_server))
    bodies = [orjson.loads(message.data) for message in messages]
    assert len(bodies) == 300
    assert {body["pattern"] for body in bodies} == {"alarm.created"}
    assert len({body["data"]["id"] for body in bodies}) == 300


@pytest.mark.parametrize("wire", ["plain", "nestjs"])
def test_it_publishes_lifecycles_as_raises_then_clears_of_the_same_key_through_jetstream(nats_server, wire):
    asyncio.run(add_stream(nats_server))

    generator = generate(
        nats_server, "--lifecycle", "points", "--count", "60", "--burst", "3", "--buildings", "1-2",
        "--chattering", "0.5", "--seed", "12", "--wire", wire,
    )  # fmt: skip

    messages = asyncio.run(stored_messages(nats_server))  # in the stream's order
    subjects = Counter(message.subject for message in messages)
    assert subjects == {"alarm.created": 60, "alarm.cleared": generator.cleared}
    assert generator.published == 60 and generator.cleared >= 5
    active: set[tuple] = set()
    for message in messages:
        body = orjson.loads(message.data)
        if wire == "nestjs":
            assert body["pattern"] == message.subject
            body = body["data"]
        assert message.headers["Nats-Msg-Id"] == body["id"] and uuid.UUID(body["id"]).version == 4
        assert len(message.headers["Trace-Id"]) == 32
        alarm_key = (body["buildingId"], body["source"], body["name"])
        assert body["buildingId"] in (1, 2) and 0 < len(body["source"]) <= 200
        assert datetime.fromisoformat(body["occurredAt"]).tzinfo is not None
        if message.subject == "alarm.created":
            assert set(body) == {"id", "name", "buildingId", "source", "severity", "occurredAt"}
            assert body["severity"] in SEVERITY_WEIGHTS
            active.add(alarm_key)
        else:
            assert set(body) == {"id", "buildingId", "source", "name", "occurredAt"}
            assert alarm_key in active, f"clear of {alarm_key} before its raise"
            active.remove(alarm_key)


def test_it_keeps_retrying_until_a_stream_captures_the_subject(nats_server):
    async def scenario() -> Generator:
        generator = Generator(parse_options(["--nats-url", nats_server, "--interval", "0", "--count", "1"]))
        running = asyncio.create_task(generator.run())
        await asyncio.sleep(1.0)
        assert not running.done()
        await add_stream(nats_server)
        await asyncio.wait_for(running, 20)
        return generator

    generator = asyncio.run(scenario())

    assert generator.published == 1
    assert len(asyncio.run(stored_messages(nats_server))) == 1


def test_it_waits_for_nats_with_a_clear_error_then_publishes(tmp_path, caplog):
    port = infra.free_port()
    url = f"nats://127.0.0.1:{port}"
    group = ProcGroup(tmp_path / "logs")

    async def scenario() -> Generator:
        generator = Generator(parse_options(["--nats-url", url, "--interval", "0", "--count", "2"]))
        running = asyncio.create_task(generator.run())
        # Seen failing, not assumed to have failed by some time: only then does NATS start.
        for _ in range(200):
            if f"NATS is unreachable at {url}" in caplog.text or running.done():
                break
            await asyncio.sleep(0.05)
        assert f"NATS is unreachable at {url}" in caplog.text, "no failed attempt within 10 s"
        assert not running.done()
        await asyncio.to_thread(infra.start_embedded_nats, group, port=port, store_dir=tmp_path / "js")
        await add_stream(url)
        await asyncio.wait_for(running, 30)
        return generator

    try:
        generator = asyncio.run(scenario())
        assert generator.published == 2
    finally:
        group.stop_all(timeout=10)


def test_it_exits_0_on_sigterm(nats_server):
    asyncio.run(add_stream(nats_server))
    process = subprocess.Popen(
        [sys.executable, "-m", "alarms_generator", "--nats-url", nats_server, "--interval", "0.1"],
        cwd=REPO_ROOT,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        for line in process.stdout:
            if "published" in line:
                break
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=15)
    finally:
        process.kill()

    assert process.returncode == 0, output
    assert "stopping after" in output


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_its_pace_subtracts_the_time_a_tick_took_from_the_wait():
    clock = FakeClock()
    pace = Pace(0.1, clock=clock)
    clock.now += 0.04  # the tick took 40 ms
    assert pace.wait() == pytest.approx(0.06)


def test_its_pace_restarts_from_now_after_a_stall_instead_of_bursting():
    clock = FakeClock()
    pace = Pace(0.1, clock=clock)
    clock.now += 5.0  # stalled for 50 intervals
    assert pace.wait() == 0.0
    clock.now += 0.01
    assert pace.wait() == pytest.approx(0.09)
