"""Buildings and workflows as real processes on real PostgreSQL and NATS."""

from __future__ import annotations

import signal
import threading
import time
import urllib.request
from collections import Counter

import orjson
import pytest

from stack.accounts import TEST_LOGIN
from stack.infra import free_port, wait_for
from tests.conftest import query, site
from tests.httpclient import post_json
from tests.natsclient import request, request_many

pytestmark = pytest.mark.system

BUILDINGS = site("buildings_site")
WORKFLOWS = site("workflows_site")


def test_it_creates_a_building_with_its_workflow_in_the_workflows_database(system):
    web = system.start_web(BUILDINGS)
    workflows = system.start_bridge(WORKFLOWS)
    web.wait_ready()
    workflows.wait_ready()

    status, building = post_json(system.url(BUILDINGS, "/api/buildings/"), {"name": "Head office"})

    assert status == 201
    assert building["workflow_status"] == "created"
    rows = query(system, "workflows_site", "SELECT id, name, building_id FROM workflows_workflow")
    assert rows == [(building["workflow_id"], "New Workflow", building["id"])]


def test_it_shares_requests_between_three_replicas_handling_each_once(system):
    replicas = [system.start_bridge(WORKFLOWS, index) for index in (1, 2, 3)]
    for replica in replicas:
        replica.wait_ready()

    bodies = [(orjson.dumps({"name": f"W{i}", "buildingId": i}), {"Idempotency-Key": f"k-{i}"}) for i in range(1, 31)]
    replies = request_many(system.nats_url, "workflows.create", bodies)

    assert sorted(reply["buildingId"] for reply in replies) == list(range(1, 31))
    assert query(system, "workflows_site", "SELECT count(*) FROM workflows_workflow") == [(30,)]
    handled = [_replica_request_count(system.nats_url, name) for name in ("1", "2", "3")]
    assert sum(handled) == 30
    assert all(count > 0 for count in handled), handled


def _replica_request_count(nats_url: str, index: str) -> int:
    """Requests handled by replica ``index``, from the micro stats every replica serves."""
    import asyncio

    import nats

    async def collect() -> int:
        nc = await nats.connect(nats_url)
        inbox = nc.new_inbox()
        sub = await nc.subscribe(inbox)
        await nc.publish("$SRV.STATS.workflows", b"", reply=inbox)
        total = None
        for _ in range(3):
            msg = await sub.next_msg(timeout=2)
            stats = orjson.loads(msg.data)
            if stats["metadata"]["process"] == f"workflows-bridge-{index}":
                total = sum(endpoint["num_requests"] for endpoint in stats["endpoints"])
        await nc.close()
        return total

    return asyncio.run(collect())


def test_it_creates_the_pending_workflow_once_the_workflows_service_is_back(system):
    web = system.start_web(BUILDINGS)
    relay = system.start_bridge(BUILDINGS)
    web.wait_ready()
    relay.wait_ready()

    status, building = post_json(system.url(BUILDINGS, "/api/buildings/"), {"name": "Depot"})
    assert status == 201
    assert building["workflow_status"] == "pending"
    assert query(system, "workflows_site", "SELECT count(*) FROM workflows_workflow") == [(0,)]

    system.start_bridge(WORKFLOWS).wait_ready()

    def attached():
        rows = query(system, "buildings_site", "SELECT workflow_id, workflow_status FROM buildings_building")
        return rows if rows[0][1] == "created" else None

    [(workflow_id, _)] = wait_for(attached, timeout=30, what="pending workflow created")
    assert query(system, "workflows_site", "SELECT id, building_id FROM workflows_workflow") == [
        (workflow_id, building["id"])
    ]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"not json", "Body is not valid JSON"),
        (b"[1, 2]", "Payload must be a JSON object"),
        (b'{"name": 5, "buildingId": "x"}', "Invalid payload"),
        (b"", "Body is not valid JSON"),
    ],
)
def test_it_answers_malformed_requests_with_an_error_reply(system, body, message):
    system.start_bridge(WORKFLOWS).wait_ready()

    headers, reply = request(system.nats_url, "workflows.create", body)

    assert headers["Nats-Service-Error-Code"] == "400"
    assert reply["error"]["message"].startswith(message)
    assert query(system, "workflows_site", "SELECT count(*) FROM workflows_workflow") == [(0,)]


def test_it_answers_a_nestjs_envelope_in_the_nestjs_envelope(system):
    system.start_bridge(WORKFLOWS).wait_ready()
    nest = b'{"pattern":"workflows.create","data":{"name":"New Workflow","buildingId":1},"id":"51ee5d4c43c1882d57b1d"}'

    _, reply = request(system.nats_url, "workflows.create", nest)
    _, refused = request(system.nats_url, "workflows.create", b'{"pattern":"workflows.create","data":{},"id":"e1"}')

    workflow_id = query(system, "workflows_site", "SELECT id FROM workflows_workflow")[0][0]
    assert reply == {
        "response": {"id": workflow_id, "name": "New Workflow", "buildingId": 1, "kind": "general", "status": "new"},
        "isDisposed": True,
        "id": "51ee5d4c43c1882d57b1d",
    }
    assert refused["isDisposed"] is True and refused["id"] == "e1"
    assert refused["err"]["status"] == "error"
    assert set(refused["err"]["errors"]) == {"name", "buildingId"}


def test_it_follows_one_trace_id_from_the_http_request_into_the_workflows_logs(system):
    web = system.start_web(BUILDINGS)
    workflows = system.start_bridge(WORKFLOWS)
    web.wait_ready()
    workflows.wait_ready()

    req = urllib.request.Request(
        system.url(BUILDINGS, "/api/buildings/"),
        data=b'{"name": "Traced"}',
        method="POST",
        headers={"Content-Type": "application/json", "X-Trace-Id": "trace-follow-me-42", **TEST_LOGIN.headers},
    )
    with urllib.request.urlopen(req, timeout=15) as response:
        assert response.headers["X-Trace-Id"] == "trace-follow-me-42"

    wait_for(lambda: "trace=trace-follow-me-42" in workflows.log_text(), timeout=5, what="trace id in workflows log")
    line = next(line for line in workflows.log_text().splitlines() if "trace-follow-me-42" in line)
    assert "workflow" in line and "first-workflow" in line


def test_a_replica_drains_in_flight_requests_on_sigterm_and_exits_0(system):
    replica = system.start_bridge(WORKFLOWS)
    replica.wait_ready()
    bodies = [
        (orjson.dumps({"name": f"W{i}", "buildingId": i}), {"Idempotency-Key": f"drain-{i}"}) for i in range(1, 301)
    ]
    results: list = []
    sender = threading.Thread(target=lambda: results.extend(timed_requests(system.nats_url, bodies)))
    sender.start()
    wait_for(
        lambda: query(system, "workflows_site", "SELECT count(*) FROM workflows_workflow")[0][0] > 0,
        timeout=10,
        interval=0.005,
        what="first workflows stored",
    )
    signalled_at = time.monotonic()
    replica.signal(signal.SIGTERM)
    code = replica.popen.wait(30)
    sender.join(30)

    assert code == 0
    answered = {reply["buildingId"] for _, reply in results if isinstance(reply, dict) and "id" in reply}
    refused = [reply for _, reply in results if not isinstance(reply, dict)]
    stored = {row[0] for row in query(system, "workflows_site", "SELECT building_id FROM workflows_workflow")}
    # Whatever the replica took on, it finished and answered before exiting: nothing half-done.
    assert stored == answered
    assert len(answered) + len(refused) == 300
    # It was holding work when told to stop, and answered it while draining.
    assert any(at > signalled_at for at, reply in results if isinstance(reply, dict)), "nothing was in flight"
    # The rest found nobody subscribed any more. A timeout would be a request it took and dropped.
    assert {type(error).__name__ for error in refused} <= {"NoRespondersError"}, Counter(map(repr, refused))
    assert "stopped" in replica.log_text()


def timed_requests(nats_url: str, bodies: list[tuple[bytes, dict[str, str]]]) -> list[tuple[float, object]]:
    """Send every request at once; (when the answer came, decoded reply or the exception) for each."""
    import asyncio

    import nats

    async def send() -> list[tuple[float, object]]:
        nc = await nats.connect(nats_url)

        async def one(body: bytes, headers: dict[str, str]) -> tuple[float, object]:
            try:
                reply = await nc.request("workflows.create", body, headers=headers, timeout=10)
            except Exception as error:  # no responders, or a timeout: kept for the assertions
                return time.monotonic(), error
            return time.monotonic(), orjson.loads(reply.data)

        try:
            return await asyncio.gather(*(one(body, headers) for body, headers in bodies))
        finally:
            await nc.close()

    return asyncio.run(send())


def test_a_bridge_exposes_prometheus_metrics_of_what_it_handled(system):
    port = free_port()
    system.start_bridge(WORKFLOWS, BRIDGE_METRICS_PORT=str(port)).wait_ready()
    good = [(orjson.dumps({"name": "M", "buildingId": i}), {"Idempotency-Key": f"m-{i}"}) for i in range(1, 6)]
    request_many(system.nats_url, "workflows.create", [*good, (b"junk", {})])

    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        metrics = response.read().decode()

    assert 'bridge_messages_total{kind="request",outcome="ok",subject="workflows.create"} 5.0' in metrics
    assert 'bridge_messages_total{kind="request",outcome="error",subject="workflows.create"} 1.0' in metrics
    assert "bridge_handler_seconds_count" in metrics
