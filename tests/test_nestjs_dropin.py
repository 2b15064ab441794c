"""Ours and a real NestJS app (tests/nestjs), each standing in for the other, over real NATS
with the shipped authorization and real PostgreSQL.

1. A NestJS caller (``ClientProxy.send`` with a string and an object pattern, ``lastValueFrom``)
   gets workflows from our workflows bridge, and its validation errors in ``err``.
2. Our buildings site gets each building's workflow from three NestJS workflows-service
   replicas in their queue group, and waits (pending) while they are down.
3. NestJS's ``emit('alarm.created', ...)`` is stored by ours and pushed to the live page.
"""

from __future__ import annotations

import asyncio

import nats
import orjson
import pytest
from playwright.sync_api import expect

from stack.infra import wait_for
from tests import nestjs_app
from tests.conftest import query
from tests.helpers import ALARMS, BUILDINGS, WORKFLOWS, alarm
from tests.httpclient import post_json
from tests.test_live_page import browser, off_loop, open_live_page, row, signed_in  # noqa: F401 - browser is a fixture

pytestmark = pytest.mark.system

OBJECT_PATTERN = {"cmd": "workflows.create"}


@pytest.fixture(scope="module", autouse=True)
def built_app() -> None:
    """The NestJS app, installed from npm and compiled (cached: quick when nothing changed)."""
    nestjs_app.build()


# ---------- 1. NestJS caller -> our workflows


def test_a_nestjs_client_gets_one_workflow_per_send_with_either_pattern_form(system):
    system.start_bridge(WORKFLOWS).wait_ready()

    results = nestjs_app.send_requests(
        system,
        [
            {"pattern": "workflows.create", "data": {"name": "String pattern", "buildingId": 1}},
            {"pattern": OBJECT_PATTERN, "data": {"name": "Object pattern", "buildingId": 2}},
        ],
    )

    rows = query(system, "workflows_site", "SELECT id, name, building_id FROM workflows_workflow ORDER BY building_id")
    assert [result["resolved"] for result in results] == [
        {"id": workflow_id, "name": name, "buildingId": building_id, "kind": "general", "status": "new"}
        for workflow_id, name, building_id in rows
    ]
    assert [name for _, name, _ in rows] == ["String pattern", "Object pattern"]
    # Each form really arrived on its own subject: the object one on {"cmd":"workflows.create"}.
    assert endpoint_requests(system.nats_url) == {
        "workflows-create": 1,
        "cmd-workflows-create": 1,
        "workflows-transition": 0,
    }


def test_a_nestjs_client_gets_field_errors_in_err_and_last_value_from_rejects(system):
    system.start_bridge(WORKFLOWS).wait_ready()

    results = nestjs_app.send_requests(
        system,
        [
            {"pattern": "workflows.create", "data": {"name": 5}},
            {"pattern": OBJECT_PATTERN, "data": {"name": "", "buildingId": "seven"}},
            {"pattern": OBJECT_PATTERN, "data": {"name": "After the errors", "buildingId": 3}},
        ],
    )

    for refused in results[:2]:
        err = refused["rejected"]
        assert (err["status"], err["code"], err["message"]) == ("error", 400, "Invalid payload")
        assert set(err["errors"]) == {"name", "buildingId"}
    assert results[2]["resolved"]["buildingId"] == 3
    assert query(system, "workflows_site", "SELECT name FROM workflows_workflow") == [("After the errors",)]


def endpoint_requests(nats_url: str) -> dict[str, int]:
    """Requests per micro endpoint of the workflows service, from its $SRV.STATS answer."""

    async def collect() -> dict[str, int]:
        nc = await nats.connect(nats_url)
        try:
            reply = await nc.request("$SRV.STATS.workflows", b"", timeout=5)
        finally:
            await nc.close()
        return {endpoint["name"]: endpoint["num_requests"] for endpoint in orjson.loads(reply.data)["endpoints"]}

    return asyncio.run(collect())


# ---------- 2. our buildings -> NestJS workflows-service


def buildings_with_workflows(system, expected: int) -> list[tuple[int, int]]:
    """(building id, workflow id) of every building, once all ``expected`` have their workflow."""

    def settled():
        rows = query(system, "buildings_site", "SELECT id, workflow_id, workflow_status FROM buildings_building")
        done = [(building_id, workflow_id) for building_id, workflow_id, status in rows if status == "created"]
        return done if len(done) == expected else None

    return wait_for(settled, timeout=60, interval=0.25, what=f"{expected} buildings with a NestJS workflow")


@pytest.mark.parametrize(
    ("wire", "subject"), [("nestjs-object", '{"cmd":"workflows.create"}'), ("nestjs", "workflows.create")]
)
def test_our_buildings_get_their_workflows_from_three_nestjs_replicas(system, wire, subject):
    system.extra_env["WORKFLOWS_WIRE"] = wire
    replicas = nestjs_app.start_workflows_replicas(system, 3)
    for proc in (system.start_web(BUILDINGS), system.start_bridge(BUILDINGS)):
        proc.wait_ready()

    answers = [post_json(system.url(BUILDINGS, "/api/buildings/"), {"name": f"Site {i}"}) for i in range(12)]

    assert [status for status, _ in answers] == [201] * 12
    assert all(building["workflow_status"] == "created" for _, building in answers), answers
    created = nestjs_app.created_workflows(replicas)
    for _, building in answers:
        assert created[building["workflow_id"]][:2] == (building["id"], subject)
    assert len(created) == 12  # each request handled by exactly one replica of the queue group
    assert len({replica for _, _, replica in created.values()}) >= 2, created
    assert sorted(buildings_with_workflows(system, 12)) == sorted((b["id"], b["workflow_id"]) for _, b in answers)


def test_a_building_waits_for_the_nestjs_workflows_service_and_gets_its_workflow_once_it_is_back(system):
    system.extra_env["WORKFLOWS_WIRE"] = "nestjs-object"
    for proc in (system.start_web(BUILDINGS), system.start_bridge(BUILDINGS)):
        proc.wait_ready()

    status, building = post_json(system.url(BUILDINGS, "/api/buildings/"), {"name": "Before NestJS"})
    assert (status, building["workflow_status"]) == (201, "pending")

    replicas = nestjs_app.start_workflows_replicas(system, 3)

    [(building_id, workflow_id)] = buildings_with_workflows(system, 1)
    assert building_id == building["id"]
    assert nestjs_app.created_workflows(replicas)[workflow_id][0] == building["id"]
    pending = "SELECT count(*) FROM bridge_outboxmessage WHERE delivered_at IS NULL AND failed_at IS NULL"
    assert query(system, "buildings_site", pending) == [(0,)]


# ---------- 3. NestJS emit('alarm.created') -> ours, and the live page


@pytest.mark.browser
def test_a_nestjs_emitted_alarm_is_stored_and_pushed_to_the_live_page(system, browser):  # noqa: F811
    web, bridge = system.start_web(ALARMS), system.start_bridge(ALARMS)
    web.wait_ready()
    bridge.wait_ready()  # the ALARMS stream exists: it captures NestJS's core NATS publish
    session = signed_in(browser, system.url(ALARMS, ""))
    page = open_live_page(session, system.url(ALARMS, "/alarms/live/"))
    with_id = alarm(name="NestJS: smoke in the boiler room", severity="critical", buildingId=7)
    without_id = {"name": "NestJS: door forced", "buildingId": 8, "severity": "major"}  # as the reference sends

    off_loop(nestjs_app.emit_alarms, system, [with_id, without_id])

    for emitted in (with_id, without_id):
        expect(row(page, emitted["name"])).to_be_visible(timeout=10_000)
    stored = query(system, "alarms_site", "SELECT name, building_id, severity FROM alarms_alarm ORDER BY building_id")
    assert stored == [(with_id["name"], 7, "critical"), (without_id["name"], 8, "major")]
    assert query(system, "alarms_site", "SELECT event_id::text FROM alarms_alarm WHERE building_id = 7") == [
        (with_id["id"],)
    ]  # fmt: skip
    session.close()
