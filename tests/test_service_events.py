"""The three services acting on each other over durable events, as real processes on real PostgreSQL and NATS.

Each flow is run with the receiving side down at the moment of the event and started later,
and with the event delivered twice; the effect happens once, after the receiver is back.
"""

from __future__ import annotations

import uuid

import orjson
import pytest

from stack.infra import wait_for
from tests.conftest import query, site
from tests.helpers import Message, alarm, publish
from tests.httpclient import call, get_json, post_json
from tests.natsclient import request
from tests.test_live_page import ALARMS, off_loop

pytestmark = pytest.mark.system

BUILDINGS = site("buildings_site")
WORKFLOWS = site("workflows_site")

OPEN = "('new', 'active')"


def create_building(system, name: str) -> dict:
    status, building = post_json(system.url(BUILDINGS, "/api/buildings/"), {"name": name})
    assert status == 201, building
    return building


def raise_alarms(system, building_id: int, count: int, *, first: int = 0, **fields) -> list[str]:
    """``count`` raises from points ``first``, ``first + 1``... of the building; their event ids."""
    points = range(first, first + count)
    payloads = [alarm(buildingId=building_id, source=f"point-{n}", name=f"Alarm {n}", **fields) for n in points]
    off_loop(publish, system.nats_url, [Message(orjson.dumps(p), msg_id=p["id"]) for p in payloads])
    return [p["id"] for p in payloads]


def alarms_of(system, building_id: int) -> list[tuple[str, bool]]:
    sql = "SELECT state, out_of_service FROM alarms_alarm WHERE building_id = %s ORDER BY id"
    return query(system, "alarms_site", sql, [building_id])


def open_workflows(system, building_id: int) -> int:
    sql = f"SELECT count(*) FROM workflows_workflow WHERE building_id = %s AND status IN {OPEN}"
    return query(system, "workflows_site", sql, [building_id])[0][0]


def test_a_deleted_building_has_its_workflows_cancelled_and_alarms_closed_even_with_both_down_at_the_time(system):
    web, bridge = system.start_web(BUILDINGS), system.start_bridge(BUILDINGS)
    workflows, alarms = system.start_bridge(WORKFLOWS), system.start_bridge(ALARMS)
    for proc in (web, bridge, workflows, alarms):
        proc.wait_ready()
    building = create_building(system, "Old depot")
    kept = create_building(system, "Head office")
    raise_alarms(system, building["id"], 3)
    raise_alarms(system, kept["id"], 1)
    wait_for(lambda: len(alarms_of(system, building["id"])) == 3, timeout=20, what="three alarms stored")

    workflows.stop()
    alarms.stop()
    assert call("DELETE", system.url(BUILDINGS, f"/api/buildings/{building['id']}/"))[0] == 204
    announced = (
        "SELECT count(*) FROM bridge_outboxmessage WHERE subject = 'building.deleted' AND delivered_at IS NOT NULL"
    )
    wait_for(
        lambda: query(system, "buildings_site", announced) == [(1,)], timeout=20, what="building.deleted published"
    )
    assert open_workflows(system, building["id"]) == 1  # nobody has read it yet

    system.start_bridge(WORKFLOWS).wait_ready()
    system.start_bridge(ALARMS).wait_ready()

    wait_for(lambda: open_workflows(system, building["id"]) == 0, timeout=30, what="its workflow cancelled")
    wait_for(
        lambda: {state for state, _ in alarms_of(system, building["id"])} == {"closed"},
        timeout=30,
        what="its alarms closed",
    )
    journal = """SELECT j.actor, j.note FROM alarms_journalentry j JOIN alarms_alarm a ON a.id = j.alarm_id
                 WHERE a.building_id = %s AND j.to_state = 'closed'"""
    assert query(system, "alarms_site", journal, [building["id"]]) == [("system", "building deleted")] * 3
    assert open_workflows(system, kept["id"]) == 1
    assert {state for state, _ in alarms_of(system, kept["id"])} == {"active_unacknowledged"}

    # Delivered again (another message id, so the stream keeps it): nothing more happens.
    again = {"id": str(uuid.uuid4()), "buildingId": building["id"], "deletedAt": "2026-12-01T10:00:00+00:00"}
    off_loop(publish, system.nats_url, [Message(orjson.dumps(again), msg_id=again["id"], subject="building.deleted")])
    marker = raise_alarms(system, kept["id"], 1, first=1)  # a new point: stored after the repeat was read
    wait_for(lambda: len(alarms_of(system, kept["id"])) == 2, timeout=20, what=f"the marker alarm {marker}")
    wait_for(lambda: _consumer_idle(system, "BUILDINGS", "alarms-service-buildings"), timeout=20, what="repeat read")
    assert len(query(system, "alarms_site", journal, [building["id"]])) == 3
    cancelled = "SELECT count(*) FROM workflows_workflow WHERE building_id = %s AND status = 'cancelled'"
    assert query(system, "workflows_site", cancelled, [building["id"]]) == [(1,)]


def test_maintenance_puts_a_building_out_of_service_until_the_last_overlapping_window_ends(system):
    web, workflows, alarms = system.start_web(BUILDINGS), system.start_bridge(WORKFLOWS), system.start_bridge(ALARMS)
    for proc in (web, workflows, alarms):
        proc.wait_ready()
    building = create_building(system, "Plant room")
    first, second = (_create_workflow(system, building["id"], f"Maintenance {n}", "maintenance") for n in (1, 2))
    for workflow in (first, second):
        _transition(system, workflow["id"], "active")
    raise_alarms(system, building["id"], 2)
    wait_for(
        lambda: [flag for _, flag in alarms_of(system, building["id"])] == [True, True],
        timeout=30,
        what="new alarms out of service",
    )

    _transition(system, first["id"], "completed")
    raise_alarms(system, building["id"], 1, first=2)
    wait_for(lambda: len(alarms_of(system, building["id"])) == 3, timeout=20, what="a third alarm")
    assert [flag for _, flag in alarms_of(system, building["id"])] == [True, True, True]

    _transition(system, second["id"], "cancelled")
    wait_for(
        lambda: [flag for _, flag in alarms_of(system, building["id"])] == [False, False, False],
        timeout=30,
        what="back in service after the last window",
    )


def test_an_unanswered_critical_alarm_opens_one_response_workflow_across_two_bridges_and_a_workflows_outage(system):
    escalate = {"ALARMS_ESCALATE_AFTER_SECONDS": "2", "ALARMS_SHELVE_CHECK_SECONDS": "1"}
    alarms = [system.start_bridge(ALARMS, index, **escalate) for index in (1, 2)]
    for proc in alarms:
        proc.wait_ready()
    [event_id] = raise_alarms(system, 77, 1, severity="critical")
    [minor_id] = raise_alarms(system, 77, 1, first=1, severity="minor")  # not the highest priority
    wait_for(lambda: len(alarms_of(system, 77)) == 2, timeout=20, what="two alarms stored")
    pending = "SELECT count(*) FROM bridge_outboxmessage WHERE key = %s"
    wait_for(
        lambda: query(system, "alarms_site", pending, [f"alarm-{event_id}-response"]) == [(1,)],
        timeout=30,
        what="the escalation queued while workflows is down",
    )

    system.start_bridge(WORKFLOWS).wait_ready()

    response = "SELECT id, name, kind FROM workflows_workflow WHERE building_id = 77 AND kind = 'response'"
    rows = wait_for(lambda: query(system, "workflows_site", response), timeout=30, what="the response workflow")
    wait_for(
        lambda: (
            query(system, "alarms_site", "SELECT workflow_id FROM alarms_alarm WHERE event_id = %s", [event_id])
            == [(rows[0][0],)]
        ),
        timeout=30,
        what="the alarm showing its workflow",
    )
    assert len(query(system, "workflows_site", response)) == 1
    assert query(system, "alarms_site", pending, [f"alarm-{minor_id}-response"]) == [(0,)]


def test_the_buildings_api_shows_open_workflows_and_alarms_from_the_other_services_events(system):
    web, bridge = system.start_web(BUILDINGS), system.start_bridge(BUILDINGS)
    workflows = system.start_bridge(WORKFLOWS)
    alarms = system.start_bridge(ALARMS, ALARMS_COUNTS_SECONDS="1")
    for proc in (web, bridge, workflows, alarms):
        proc.wait_ready()
    building = create_building(system, "Tower")
    raise_alarms(system, building["id"], 4)

    def shown() -> tuple[int, int]:
        status, body = get_json(system.url(BUILDINGS, f"/api/buildings/{building['id']}/"))
        assert status == 200, body
        return body["open_workflows"], body["open_alarms"]

    wait_for(lambda: shown() == (1, 4), timeout=30, what="1 open workflow and 4 open alarms shown")

    alarms.stop()  # the last figure stays while the alarms service is away
    _transition(system, building["workflow_id"], "active")
    _transition(system, building["workflow_id"], "completed")
    wait_for(lambda: shown() == (0, 4), timeout=30, what="the completed workflow counted")


def _create_workflow(system, building_id: int, name: str, kind: str) -> dict:
    body = orjson.dumps({"name": name, "buildingId": building_id, "kind": kind})
    _, reply = request(system.nats_url, "workflows.create", body, headers={"Idempotency-Key": str(uuid.uuid4())})
    assert reply.get("kind") == kind, reply
    return reply


def _transition(system, workflow_id: int, status: str) -> dict:
    _, reply = request(system.nats_url, "workflows.transition", orjson.dumps({"id": workflow_id, "status": status}))
    assert reply.get("status") == status, reply
    return reply


def _consumer_idle(system, stream: str, durable: str) -> bool:
    import asyncio

    import nats

    from tests.helpers import servers

    async def read() -> bool:
        nc = await nats.connect(servers=servers(system.nats_url))
        try:
            info = await nc.jetstream().consumer_info(stream, durable)
            return info.num_pending == 0 and info.num_ack_pending == 0
        finally:
            await nc.close()

    return off_loop(lambda: asyncio.run(read()))
