"""Hostile messages on every subject the system serves, against the real bridges.

Hypothesis draws batches of messages (random bytes, invalid UTF-8, huge bodies, wrong JSON
types, missing and extra fields, NestJS envelopes with bad parts, NUL, lone surrogates, RTL,
emoji, 10k-character names, ids beyond the column) and sends each batch at once, so a bad
message shares a batch with good ones. Every request must get an answer of the promised kind,
every event must be stored once or parked, nothing may be half-stored, and the bridges must
still serve normal traffic afterwards. The draws are derandomized, so a run is repeatable.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter

import nats
import orjson
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from tests.conftest import query
from tests.fuzzcases import ANY, OK, Case, alarm_cases, payload_of, workflow_cases
from tests.helpers import (
    ALARMS,
    BUILDINGS,
    DEAD_LETTER_STREAM,
    Message,
    alarm,
    consumer_drained,
    every_alarm_stored_once,
    publish,
    start_buildings_and_workflows,
)
from tests.httpclient import post_json

pytestmark = pytest.mark.system

# No shrinking: against live processes it can take longer than the whole suite. A failure
# shows the full batch, and every assertion names the case that broke it.
FUZZ = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
REQUEST_TIMEOUT = 10.0


def send_requests(nats_url: str, cases: list[Case]) -> list[tuple[dict, object] | Exception]:
    """Send every case at once over one connection; (headers, decoded body) or the exception."""

    async def send():
        nc = await nats.connect(nats_url)
        try:
            return await asyncio.gather(
                *(nc.request("workflows.create", case.body(), headers=case.headers(), timeout=REQUEST_TIMEOUT)
                  for case in cases),
                return_exceptions=True,
            )  # fmt: skip
        finally:
            await nc.close()

    replies = asyncio.run(send())
    return [r if isinstance(r, Exception) else (r.headers or {}, orjson.loads(r.data)) for r in replies]


def check_reply(case: Case, reply: tuple[dict, object] | Exception) -> None:
    """Assert the reply is what the contract promises for ``case``."""
    assert not isinstance(reply, Exception), f"{case.kind}: no reply ({reply!r})"
    headers, body = reply
    shape = "nest" if isinstance(body, dict) and "isDisposed" in body else "plain"
    assert shape == ("nest" if case.nest else "plain"), (case.kind, case.data, case.raw and case.raw[:80], body)
    if "Nats-Service-Error-Code" in headers:
        status = int(headers["Nats-Service-Error-Code"])
        error = body["err"] if case.nest else body["error"]
        assert (error["code"] if case.nest else error["status"]) == status
        assert error["message"]
        if case.expect == ANY:
            assert 400 <= status < 500, (case.kind, status, error)
        else:
            assert status == case.expect, (case.kind, case.data, case.key, error)
        return
    assert case.expect in (OK, ANY), (case.kind, case.data, case.key, body)
    if case.nest:
        assert body["isDisposed"] is True
        assert body["id"] == (str(case.nest_id) if case.nest_id else None)
        body = body["response"]
    assert set(body) == {"id", "name", "buildingId", "kind", "status"}
    if payload := payload_of(case):
        assert (body["name"], body["buildingId"]) == (payload["name"].strip(), payload["buildingId"])


def test_it_answers_every_hostile_workflows_create_request_and_stores_nothing_half_done(system):
    start_buildings_and_workflows(system, replicas=2)
    made: dict[int, tuple[str, int]] = {}
    kinds: Counter = Counter()

    @FUZZ
    @given(st.lists(workflow_cases(), min_size=10, max_size=40))
    def hostile_batch(cases: list[Case]) -> None:
        replies = send_requests(system.nats_url, cases)
        for reply in replies:  # recorded first, so one failed check does not confuse the next batch
            if not isinstance(reply, Exception) and "Nats-Service-Error-Code" not in reply[0]:
                workflow = reply[1].get("response", reply[1])
                made[workflow["id"]] = (workflow["name"], workflow["buildingId"])
        for case, reply in zip(cases, replies, strict=True):
            kinds[case.kind] += 1
            check_reply(case, reply)
        # Nothing stored without a reply saying so, and each stored as the reply says.
        stored = query(system, "workflows_site", "SELECT id, name, building_id FROM workflows_workflow")
        assert {row[0]: (row[1], row[2]) for row in stored} == made

    hostile_batch()
    print(f"\nworkflows.create fuzz: {sum(kinds.values())} requests, {len(made)} workflows made, {dict(kinds)}")

    status, building = post_json(system.url(BUILDINGS, "/api/buildings/"), {"name": "After the fuzz"})
    assert (status, building["workflow_status"]) == (201, "created")
    statement = "SELECT id, building_id FROM workflows_workflow WHERE idempotency_key = %s"
    assert query(system, "workflows_site", statement, [f"building-{building['id']}-first-workflow"]) == [
        (building["workflow_id"], building["id"])
    ]
    assert_no_crash(system)


def test_it_stores_every_valid_hostile_alarm_once_and_parks_every_invalid_one(system):
    replicas = [system.start_bridge(ALARMS, index) for index in (1, 2)]
    for replica in replicas:
        replica.wait_ready()
    expected_ids: set[str] = set()
    parked: Counter = Counter()
    kinds: Counter = Counter()

    @FUZZ
    @given(st.lists(alarm_cases(), min_size=10, max_size=40))
    def hostile_batch(cases: list[Case]) -> None:
        messages, ids = [], []
        for case in cases:
            kinds[case.kind] += 1
            msg_id = str(uuid.uuid4())
            messages.append(Message(case.body(), msg_id=msg_id))
            ids.append(str(case.event_id or msg_id))
        publish(system.nats_url, messages)
        consumer_drained(system.nats_url, timeout=30)
        stored = stored_alarms(system, ids)
        new_parked = parked_bodies(system.nats_url, skip=sum(parked.values()))
        for case, message, event_id in zip(cases, messages, ids, strict=True):
            if case.expect == OK:
                payload = payload_of(case)
                assert stored.get(event_id) == (payload["name"].strip(), payload["buildingId"]), case.data
            elif case.expect != ANY:
                assert event_id not in stored, (case.kind, case.data)
            if event_id in stored:
                expected_ids.add(event_id)
            else:
                parked[message.body] += 1
                assert new_parked[message.body] > 0, (case.kind, case.data, case.raw and case.raw[:100])
                new_parked[message.body] -= 1
        assert +new_parked == Counter(), "parked events that were stored or never sent"

    hostile_batch()
    print(f"\nalarm.created fuzz: {sum(kinds.values())} events, {len(expected_ids)} stored, "
          f"{sum(parked.values())} parked, {dict(kinds)}")  # fmt: skip

    normal = alarm()
    publish(system.nats_url, [Message(orjson.dumps(normal), msg_id=normal["id"])])
    every_alarm_stored_once(system, expected_ids | {normal["id"]}, timeout=30)
    assert_no_crash(system)


def stored_alarms(system, event_ids: list[str]) -> dict[str, tuple[str, int]]:
    rows = query(
        system, "alarms_site", "SELECT event_id, name, building_id FROM alarms_alarm WHERE event_id = ANY(%s)",
        [[uuid.UUID(i) for i in event_ids]],
    )  # fmt: skip
    return {str(event_id): (name, building_id) for event_id, name, building_id in rows}


def parked_bodies(nats_url: str, *, skip: int) -> Counter:
    """Bodies parked on the dead-letter stream after the first ``skip``."""

    async def read() -> Counter:
        nc = await nats.connect(nats_url)
        js = nc.jetstream()
        total = (await js.stream_info(DEAD_LETTER_STREAM)).state.messages
        bodies = Counter()
        for sequence in range(skip + 1, total + 1):
            bodies[(await js.get_msg(DEAD_LETTER_STREAM, sequence)).data or b""] += 1
        await nc.close()
        return bodies

    return asyncio.run(read())


def assert_no_crash(system) -> None:
    """Every process still runs, and none logged a traceback."""
    for proc in system.group.procs:
        assert proc.alive(), f"{proc.spec.name} died:\n{proc.log_text()[-3000:]}"
        assert "Traceback" not in proc.log_text(), f"{proc.spec.name} crashed somewhere:\n{proc.log_text()[-5000:]}"
