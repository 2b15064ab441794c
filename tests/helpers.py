"""What the cross-service tests share: starting parts of the system, publishing alarms, and
reading what really ended up in the databases, JetStream and /proc."""

from __future__ import annotations

import asyncio
import os
import threading
import urllib.request
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import nats
import nats.errors
import orjson

from natswire.tracing import TRACE_HEADER
from stack.infra import wait_for
from stack.procs import Proc
from stack.system import System
from tests.conftest import query, site

BUILDINGS = site("buildings_site")
WORKFLOWS = site("workflows_site")
ALARMS = site("alarms_site")
STREAM = "ALARMS"
DEAD_LETTER_STREAM = "ALARMS_DEAD_LETTER"
DURABLE = "alarms-service"


def servers(nats_url: str) -> list[str]:
    """The server list of a NATS URL that may name several (a cluster)."""
    return [server.strip() for server in nats_url.split(",") if server.strip()]


def client_names(node: Proc) -> list[str]:
    """Connection names of the clients of one cluster node, from its monitoring endpoint (``-m``)."""
    port = node.spec.argv[node.spec.argv.index("-m") + 1]
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/connz?limit=4096", timeout=5) as response:
        return [connection.get("name", "") for connection in orjson.loads(response.read())["connections"] or []]


# Buildings and workflows


def start_buildings_and_workflows(system: System, *, replicas: int = 1) -> list[Proc]:
    """The buildings web and bridge and ``replicas`` workflows bridges, all ready."""
    procs = [system.start_web(BUILDINGS), system.start_bridge(BUILDINGS)]
    procs += [system.start_bridge(WORKFLOWS, index) for index in range(1, replicas + 1)]
    for proc in procs:
        proc.wait_ready()
    return procs


def every_building_has_exactly_one_workflow(system: System, expected: int, *, timeout: float = 90) -> None:
    """Each building created, each with its own workflow, and no workflow twice or orphaned."""

    def settled():
        rows = query(
            system, "buildings_site", "SELECT id, workflow_id FROM buildings_building WHERE workflow_status = 'created'"
        )
        return rows if len(rows) == expected else None

    buildings = wait_for(settled, timeout=timeout, interval=0.5, what=f"{expected} buildings with workflows")
    workflows = query(system, "workflows_site", "SELECT id, building_id FROM workflows_workflow")
    assert sorted(workflows) == sorted((workflow_id, building_id) for building_id, workflow_id in buildings)
    assert len({building_id for _, building_id in workflows}) == expected


def count_rows(system: System, package: str, table: str) -> int:
    """Rows in one table of a site's database."""
    return query(system, package, f"SELECT count(*) FROM {table}")[0][0]


def outbox_pending(system: System) -> int:
    """Workflow requests the buildings site has not had answered yet."""
    statement = "SELECT count(*) FROM bridge_outboxmessage WHERE delivered_at IS NULL AND failed_at IS NULL"
    return query(system, "buildings_site", statement)[0][0]


# Alarms


@dataclass
class Message:
    """One message to publish: JetStream (with optional Nats-Msg-Id) or, like NestJS, core NATS."""

    body: bytes
    msg_id: str | None = None
    core: bool = False
    subject: str = "alarm.created"
    trace_id: str | None = None  # a parked copy keeps it: how a test finds which message was parked


@dataclass
class Batch:
    """Messages to publish, and the event ids and names that must end up stored."""

    messages: list[Message] = field(default_factory=list)
    expected_ids: set[str] = field(default_factory=set)
    malformed: int = 0
    # Events published twice under one id with different names: each name a row may hold.
    copies: dict[str, set[str]] = field(default_factory=dict)


def alarm(**overrides) -> dict:
    """A valid ``alarm.created`` payload with a fresh id."""
    event_id = str(uuid.uuid4())
    return {"id": event_id, "name": f"Alarm {event_id[:8]}", "buildingId": 1 + int(event_id[:2], 16) % 100,
            "severity": "major", **overrides}  # fmt: skip


def publish(nats_url: str, messages: list[Message]) -> None:
    """Publish in order of the list, JetStream publishes waiting for their acknowledgement."""

    async def send() -> None:
        nc = await nats.connect(servers=servers(nats_url))
        js = nc.jetstream()
        for start in range(0, len(messages), 200):
            chunk = messages[start : start + 200]
            await asyncio.gather(*(publish_one(nc, js, message) for message in chunk))
        await nc.flush()
        await nc.close()

    asyncio.run(send())


async def publish_one(nc, js, message: Message) -> int | None:
    """Publish one message on ``nc`` (core NATS) or ``js`` (JetStream, waiting for its
    acknowledgement); returns its stream sequence, for JetStream."""
    headers = {TRACE_HEADER: message.trace_id} if message.trace_id else {}
    if message.core:
        await nc.publish(message.subject, message.body, headers=headers or None)
        return None
    if message.msg_id:
        headers["Nats-Msg-Id"] = message.msg_id
    return (await js.publish(message.subject, message.body, headers=headers or None, timeout=10)).seq


def jetstream_state(nats_url: str, *, reasons: int = 3) -> dict:
    """Messages in both streams, what the durable consumer still has pending or unacknowledged,
    its ack floor (the last stream sequence below which everything is acknowledged), and the
    rejection reasons of the first ``reasons`` parked events."""

    async def read() -> dict:
        nc = await nats.connect(servers=servers(nats_url))
        js = nc.jetstream(timeout=10)  # a cluster that just lost a node re-elects leaders first
        consumer = await js.consumer_info(STREAM, DURABLE)
        state = {
            "stream": (await js.stream_info(STREAM)).state.messages,
            "dead_letter": (await js.stream_info(DEAD_LETTER_STREAM)).state.messages,
            "pending": consumer.num_pending,
            "unacknowledged": consumer.num_ack_pending,
            "ack_floor": consumer.ack_floor.stream_seq,
            "reasons": [],
        }
        for sequence in range(1, min(state["dead_letter"], reasons) + 1):
            parked = await js.get_msg(DEAD_LETTER_STREAM, sequence)
            state["reasons"].append(parked.headers["Rejected-Reason"])
        await nc.close()
        return state

    return asyncio.run(read())


def consumer_drained(nats_url: str, *, timeout: float = 60) -> dict:
    """Wait until the alarms consumer has nothing pending or unacknowledged; returns the state."""

    def drained():
        try:
            state = jetstream_state(nats_url, reasons=0)
        except nats.errors.TimeoutError:  # JetStream busy electing leaders: ask again
            return None
        return state if state["pending"] == 0 and state["unacknowledged"] == 0 else None

    return wait_for(drained, timeout=timeout, interval=0.1, what="the alarms consumer drained")


def stored_ids(system: System) -> set[str]:
    """Event ids of every stored alarm."""
    return set(stored_rows(system))


def stored_rows(system: System) -> Counter[str]:
    """How many rows hold each event id: read row by row, so a duplicate shows even without the
    column's unique constraint."""
    return Counter(str(row[0]) for row in query(system, "alarms_site", "SELECT event_id FROM alarms_alarm"))


def assert_each_stored_once(rows: Counter[str]) -> None:
    """No event id on two rows."""
    twice = {event_id: n for event_id, n in rows.items() if n > 1}
    assert twice == {}, f"{len(twice)} alarms stored more than once, e.g. {list(twice.items())[:3]}"


def create_streams(system: System) -> None:
    """Start the alarms bridge once, so its streams and durable consumer exist, and stop it."""
    bridge = system.start_bridge(ALARMS, 1)
    bridge.wait_ready()
    # It has stopped consuming within a second of SIGTERM; the rest is closing the connection.
    bridge.stop(timeout=5)


def every_alarm_stored_once(system: System, expected: set[str], *, timeout: float = 90) -> None:
    """Exactly the ``expected`` event ids end up stored, each on one row, and no other."""

    def settled():
        count = count_rows(system, "alarms_site", "alarms_alarm")
        return count if count >= len(expected) else None

    wait_for(settled, timeout=timeout, interval=0.5, what=f"{len(expected)} alarms stored")
    rows = stored_rows(system)
    assert_each_stored_once(rows)
    assert set(rows) - expected == set(), "stored alarms that were never expected"
    assert expected - set(rows) == set(), "expected alarms never stored"


class AlarmPublisher:
    """Publishes valid alarms through JetStream from a thread, at a steady rate, until stopped.

    Remembers every alarm it sent (and counts the publishes, so an id sent twice would show) and
    the ones JetStream acknowledged: those must be stored whatever happens to NATS or the
    database, the others may or may not be.
    """

    def __init__(self, nats_url: str, *, per_second: int = 200, limit: int = 30_000) -> None:
        self.nats_url = nats_url
        self.per_tick = max(1, per_second // 20)
        self.limit = limit
        self.sent: set[str] = set()
        self.publishes = 0
        self.acknowledged: set[str] = set()
        self.failures = 0
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=lambda: asyncio.run(self._run()), daemon=True, name="alarm publisher")

    def __enter__(self) -> AlarmPublisher:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stopping.set()
        self._thread.join(60)
        assert not self._thread.is_alive(), "the alarm publisher did not stop"

    async def _run(self) -> None:
        nc = await nats.connect(servers=servers(self.nats_url), max_reconnect_attempts=-1, reconnect_time_wait=0.25)
        js = nc.jetstream(timeout=2)
        while not self._stopping.is_set() and len(self.sent) < self.limit:
            await asyncio.gather(*(self._publish(js, alarm()) for _ in range(self.per_tick)))
            await asyncio.sleep(0.05)
        await nc.close()

    async def _publish(self, js, payload: dict) -> None:
        self.sent.add(payload["id"])
        self.publishes += 1
        try:
            await js.publish("alarm.created", orjson.dumps(payload), headers={"Nats-Msg-Id": payload["id"]})
        except Exception:  # NATS away, leader election, timeout: not acknowledged, so not promised
            self.failures += 1
            return
        self.acknowledged.add(payload["id"])


def every_acknowledged_alarm_stored_once(
    system: System, publisher: AlarmPublisher, *, timeout: float = 90, drained: bool = True
) -> dict:
    """Every alarm JetStream acknowledged is stored, nothing that was never sent is, nothing
    is parked, and (if ``drained``) the consumer has nothing left; returns the JetStream state."""
    wait_for(lambda: publisher.acknowledged <= stored_ids(system), timeout=timeout, interval=0.5,
             what=f"{len(publisher.acknowledged)} acknowledged alarms stored")  # fmt: skip
    state = consumer_drained(system.nats_url) if drained else jetstream_state(system.nats_url, reasons=0)
    rows = stored_rows(system)
    stored = set(rows)
    assert publisher.publishes == len(publisher.sent)  # every event sent once, under its own id
    assert_each_stored_once(rows)
    assert publisher.acknowledged - stored == set(), "acknowledged alarms never stored"
    assert stored - publisher.sent == set(), "stored alarms that were never sent"
    assert sum(rows.values()) <= publisher.publishes
    assert state["dead_letter"] == 0
    print(f"\n{len(publisher.sent)} alarms sent, {len(publisher.acknowledged)} acknowledged by JetStream, "
          f"{publisher.failures} not, {len(stored)} stored")  # fmt: skip
    return state


# Processes


def resident_kib(pid: int) -> int:
    """Resident memory of a process and all its descendants (gunicorn's workers), in KiB."""
    total = 0
    for member in [pid, *descendants(pid)]:
        try:
            status = Path(f"/proc/{member}/status").read_text()
        except OSError:  # exited in between
            continue
        total += next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:")), 0)
    return total


def descendants(pid: int) -> list[int]:
    """Every process below ``pid``, from /proc's children lists."""
    found: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for task in tasks:
        try:
            children = Path(f"/proc/{pid}/task/{task}/children").read_text().split()
        except OSError:
            continue
        for child in map(int, children):
            found += [child, *descendants(child)]
    return found
