"""Hostile messages on every request-reply subject the system serves, against the real bridges.

Hypothesis draws batches of requests (random bytes, invalid UTF-8, huge bodies, wrong JSON
types, missing and extra fields, NestJS envelopes with bad parts, NUL, lone surrogates, RTL,
emoji, 10k-character names, ids beyond the column, bad Idempotency-Keys) and sends each batch
at once, so a bad request shares a batch with good ones: on ``workflows.create``, on the
subject NestJS's object pattern asks on, and on every micro discovery subject. Every request
gets an answer of the promised kind from every replica that must answer (none times out),
nothing is stored that no reply reported, and the replicas still serve normal traffic
afterwards without a traceback or an error in any log. The events and the live feed are
fuzzed in test_nats_event_fuzz.py and test_nats_live_fuzz.py; the first test here checks that
together they cover every subject any process subscribes to. The draws are derandomized, so
a run is repeatable.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter

import nats
import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bridge.asyncapi import load_document
from tests.conftest import query
from tests.fuzzcases import (
    ANY,
    DISCOVERY_SUBJECTS,
    EVENT_SUBJECTS,
    FUZZ,
    LIVE_SUBJECTS,
    OK,
    REQUEST_SUBJECTS,
    Case,
    payload_of,
    transition_cases,
    workflow_cases,
)
from tests.helpers import BUILDINGS, WORKFLOWS, start_buildings_and_workflows
from tests.httpclient import post_json
from tests.proclogs import assert_no_crash

pytestmark = pytest.mark.system

REQUEST_TIMEOUT = 10.0
CREATE_SUBJECTS = ["workflows.create", '{"cmd":"workflows.create"}']
KNOWN_WORKFLOWS = 12  # what the transitions may name: enough that a batch moves only some


def test_every_subject_a_process_subscribes_to_is_fuzzed():
    """docs/asyncapi.yaml lists every subject a process receives on (test_asyncapi.py holds it to
    each site's routes), so a new subject fails here until a fuzz takes it."""
    document = load_document()
    received = {
        document["channels"][operation["channel"]["$ref"].rsplit("/", 1)[-1]]["address"]
        for operation in document["operations"].values()
        if operation["action"] == "receive"
    }

    assert received == {*REQUEST_SUBJECTS, *DISCOVERY_SUBJECTS, *EVENT_SUBJECTS, *LIVE_SUBJECTS}


def send_requests(nats_url: str, subject: str, cases: list[Case]) -> list[tuple[dict, object] | Exception]:
    """Send every case at once over one connection; (headers, decoded body) or the exception."""

    async def send():
        nc = await nats.connect(nats_url)
        try:
            return await asyncio.gather(
                *(nc.request(subject, case.body(), headers=case.headers(), timeout=REQUEST_TIMEOUT)
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


@pytest.mark.usefixtures("json_logs")
@pytest.mark.parametrize("subject", CREATE_SUBJECTS, ids=["workflows.create", "nestjs-object-pattern"])
def test_it_answers_every_hostile_workflows_create_request_and_stores_nothing_half_done(system, subject):
    start_buildings_and_workflows(system, replicas=2)
    made: dict[int, tuple[str, int]] = {}
    kinds: Counter = Counter()

    @FUZZ
    @given(st.lists(workflow_cases(subject), min_size=10, max_size=40))
    def hostile_batch(cases: list[Case]) -> None:
        replies = send_requests(system.nats_url, subject, cases)
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
    print(f"\n{subject} fuzz: {sum(kinds.values())} requests, {len(made)} workflows made, {dict(kinds)}")

    # The fuzzed subject is answered as before, both replicas answer a ping, and the buildings web
    # still gets its workflows.
    after = [Case("object", {"name": f"After the fuzz {n}", "buildingId": 7}, key="fresh") for n in range(8)]
    for case, reply in zip(after, send_requests(system.nats_url, subject, after), strict=True):
        check_reply(case, reply)
    assert len(discover(system.nats_url, [("$SRV.PING.workflows", b"", {}, 2)])[0]) == 2
    status, building = post_json(system.url(BUILDINGS, "/api/buildings/"), {"name": "After the fuzz"})
    assert (status, building["workflow_status"]) == (201, "created")
    statement = "SELECT id, building_id FROM workflows_workflow WHERE idempotency_key = %s"
    assert query(system, "workflows_site", statement, [f"building-{building['id']}-first-workflow"]) == [
        (building["workflow_id"], building["id"])
    ]
    assert_no_crash(system)


@pytest.mark.usefixtures("json_logs")
def test_it_answers_every_hostile_workflows_transition_request_and_leaves_every_status_valid(system):
    start_buildings_and_workflows(system, replicas=2)
    made = [Case("object", {"name": f"Fuzzed {n}", "buildingId": 7}, key="fresh") for n in range(KNOWN_WORKFLOWS)]
    known = sorted(reply[1]["id"] for reply in send_requests(system.nats_url, "workflows.create", made))
    kinds: Counter = Counter()
    statement = "SELECT id, status, version FROM workflows_workflow ORDER BY id"

    @FUZZ
    @given(st.lists(transition_cases(known), min_size=10, max_size=40))
    def hostile_batch(cases: list[Case]) -> None:
        kinds.update(case.kind for case in cases)
        for case, reply in zip(cases, send_requests(system.nats_url, "workflows.transition", cases), strict=True):
            check_reply(case, reply)
        # No workflow made or lost, and each in a status the rules allow, one version per change.
        rows = query(system, "workflows_site", statement)
        assert [row[0] for row in rows] == known
        assert all(
            status in {"new", "active", "completed", "cancelled"} and version >= 1 for _, status, version in rows
        )

    hostile_batch()
    print(f"\nworkflows.transition fuzz: {sum(kinds.values())} requests, {dict(kinds)}")

    # Both replicas still move a fresh workflow through its statuses.
    [fresh] = [reply[1] for reply in send_requests(system.nats_url, "workflows.create", made[:1])]
    for status in ("active", "completed"):
        case = Case("object", {"id": fresh["id"], "status": status}, expect=ANY)
        [(headers, body)] = send_requests(system.nats_url, "workflows.transition", [case])
        assert "Nats-Service-Error-Code" not in headers and body["status"] == status, body
    assert_no_crash(system)


@pytest.mark.usefixtures("json_logs")
def test_every_replica_answers_every_hostile_discovery_request(system):
    replicas = [system.start_bridge(WORKFLOWS, index) for index in (1, 2)]
    for replica in replicas:
        replica.wait_ready()
    ids = {reply["id"] for reply in discover(system.nats_url, [("$SRV.PING", b"", {}, 2)])[0]}
    assert len(ids) == 2
    # Each verb for every service, for the workflows service, and for one process of it.
    subjects = [
        f"{verb}{suffix}"
        for verb in DISCOVERY_SUBJECTS
        for suffix in ["", ".workflows", *(f".workflows.{i}" for i in ids)]
    ]
    kinds: Counter = Counter()

    @FUZZ
    @given(st.lists(st.tuples(st.sampled_from(subjects), workflow_cases("workflows.create")), min_size=5, max_size=20))
    def hostile_batch(requests: list[tuple[str, Case]]) -> None:
        kinds.update(case.kind for _, case in requests)
        answers = [1 if subject.count(".") == 3 else 2 for subject, _ in requests]  # the one named, or every replica
        asked = [
            (subject, case.body(), case.headers(), n) for (subject, case), n in zip(requests, answers, strict=True)
        ]
        for (subject, case), expected, replies in zip(requests, answers, discover(system.nats_url, asked), strict=True):
            verb = subject.split(".")[1].lower()
            assert len(replies) == expected, (subject, case.kind, case.raw and case.raw[:80], replies)
            for reply in replies:
                assert (reply["type"], reply["name"]) == (f"io.nats.micro.v1.{verb}_response", "workflows"), reply
                assert reply["id"] in ids and (expected == 2 or subject.endswith(reply["id"])), (subject, reply)

    hostile_batch()
    print(f"\ndiscovery fuzz: {sum(kinds.values())} requests on {len(subjects)} subjects, {dict(kinds)}")

    stats = discover(system.nats_url, [("$SRV.STATS.workflows", b"", {}, 2)])[0]
    assert {reply["id"] for reply in stats} == ids
    assert_no_crash(system)


def discover(nats_url: str, requests: list[tuple[str, bytes, dict[str, str], int]]) -> list[list[dict]]:
    """Send each (subject, body, headers, answers) at once and collect up to ``answers`` replies to
    each (every replica answers discovery: there is no queue group), within ``REQUEST_TIMEOUT``."""

    async def ask(nc, subject: str, body: bytes, headers: dict[str, str], answers: int) -> list[dict]:
        inbox = nc.new_inbox()
        subscription = await nc.subscribe(inbox, max_msgs=answers)
        await nc.publish(subject, body, reply=inbox, headers=headers or None)
        replies = []
        deadline = time.monotonic() + REQUEST_TIMEOUT
        try:
            while len(replies) < answers:
                message = await subscription.next_msg(timeout=max(0.01, deadline - time.monotonic()))
                replies.append(orjson.loads(message.data))
        except nats.errors.TimeoutError:
            await subscription.unsubscribe()
        return replies

    async def send() -> list[list[dict]]:
        nc = await nats.connect(nats_url)
        try:
            return await asyncio.gather(*(ask(nc, *request) for request in requests))
        finally:
            await nc.close()

    return asyncio.run(send())
