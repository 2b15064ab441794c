"""Faults the system must survive without losing or duplicating anything."""

from __future__ import annotations

import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlparse

import pytest

from stack import infra
from stack.infra import wait_for
from stack.procs import ProcGroup
from stack.system import System
from tests.conftest import query, site
from tests.faultproxy import FaultProxy
from tests.httpclient import get_json, post_json

pytestmark = pytest.mark.system

BUILDINGS = site("buildings_site")
WORKFLOWS = site("workflows_site")


def start_buildings_and_workflows(system: System, *, replicas: int = 1) -> list:
    procs = [system.start_web(BUILDINGS), system.start_bridge(BUILDINGS)]
    procs += [system.start_bridge(WORKFLOWS, index) for index in range(1, replicas + 1)]
    for proc in procs:
        proc.wait_ready()
    return procs


def every_building_has_exactly_one_workflow(system: System, expected: int) -> None:
    """Each building created, each with its own workflow, and no workflow twice or orphaned."""

    def settled():
        rows = query(
            system, "buildings_site", "SELECT id, workflow_id FROM buildings_building WHERE workflow_status = 'created'"
        )
        return rows if len(rows) == expected else None

    buildings = wait_for(settled, timeout=90, interval=0.5, what=f"{expected} buildings with workflows")
    workflows = query(system, "workflows_site", "SELECT id, building_id FROM workflows_workflow")
    assert sorted(workflows) == sorted((workflow_id, building_id) for building_id, workflow_id in buildings)
    assert len({building_id for _, building_id in workflows}) == expected


def test_killing_a_workflows_replica_under_load_loses_no_building_and_duplicates_no_workflow(system):
    procs = start_buildings_and_workflows(system, replicas=3)
    url = system.url(BUILDINGS, "/api/buildings/")

    with ThreadPoolExecutor(32) as pool:
        futures = [pool.submit(post_json, url, {"name": f"Load {i}"}) for i in range(500)]
        wait_for(
            lambda: query(system, "workflows_site", "SELECT count(*) FROM workflows_workflow")[0][0] >= 50,
            timeout=60,
            interval=0.02,
            what="load under way",
        )
        procs[2].kill()  # workflows-bridge-1, mid-stream
        results = [future.result() for future in futures]

    statuses = Counter(status for status, _ in results)
    assert set(statuses) <= {201, 503}, statuses  # a success or a clear, retryable 5xx
    every_building_has_exactly_one_workflow(system, statuses[201])
    assert statuses[201] == 500


@pytest.fixture
def restartable_nats(tmp_path: Path):
    """A NATS server the test can stop and start again on the same port and store."""
    group = ProcGroup(tmp_path / "nats-logs")
    port = infra.free_port()
    spec = infra.embedded_nats_spec(port=port, store_dir=tmp_path / "js")

    class Server:
        url = f"nats://127.0.0.1:{port}"
        proc = None

        def start(self):
            self.proc = group.start(spec)
            self.proc.wait_ready(20)

        def stop(self):
            self.proc.stop()

    server = Server()
    server.start()
    yield server
    group.stop_all()


def test_every_process_reconnects_after_a_nats_restart_and_pending_workflows_complete(
    procs, databases, restartable_nats
):
    system = System(
        procs,
        nats_url=restartable_nats.url,
        database_urls=databases,
        ports={s.package: infra.free_port() for s in (BUILDINGS, WORKFLOWS)},
    )
    start_buildings_and_workflows(system)
    url = system.url(BUILDINGS, "/api/buildings/")
    before = [post_json(url, {"name": f"Before {i}"}) for i in range(10)]

    restartable_nats.stop()
    during = [post_json(url, {"name": f"During {i}"}) for i in range(10)]
    time.sleep(2)
    restartable_nats.start()
    after = [post_json(url, {"name": f"After {i}"}) for i in range(10)]

    assert [status for status, _ in before + during + after] == [201] * 30
    assert {body["workflow_status"] for _, body in during} == {"pending"}
    every_building_has_exactly_one_workflow(system, 30)


def test_a_site_answers_503_while_its_database_is_down_and_recovers_by_itself(system):
    buildings_db = urlparse(system.database_urls["buildings_site"])
    with FaultProxy(buildings_db.hostname, buildings_db.port) as proxy:
        proxied = buildings_db._replace(netloc=f"{buildings_db.username}@127.0.0.1:{proxy.port}").geturl()
        cut_off = System(
            system.group,
            nats_url=system.nats_url,
            ports=system.ports,
            database_urls={**system.database_urls, "buildings_site": proxied},
        )
        start_buildings_and_workflows(cut_off)
        workflows_web = system.start_web(WORKFLOWS)
        workflows_web.wait_ready()
        url = system.url(BUILDINGS, "/api/buildings/")
        assert post_json(url, {"name": "Before"})[0] == 201

        proxy.cut()
        outage_end = time.monotonic() + 10
        answers = []
        while time.monotonic() < outage_end:
            answers.append(post_json(url, {"name": "During"}))
            ready = get_json(system.url(BUILDINGS, "/health/ready"))
            assert get_json(system.url(WORKFLOWS, "/api/workflows/"))[0] == 200  # other sites keep working
            time.sleep(0.5)
        proxy.restore()

        assert {status for status, _ in answers} == {503}
        assert answers[0][1]["error"]["message"] == "The database is unavailable; try again shortly."
        assert ready[0] == 503 and ready[1]["checks"]["database"].startswith("unreachable")
        wait_for(lambda: post_json(url, {"name": "After"})[0] == 201, timeout=20, interval=0.5, what="recovery")
        every_building_has_exactly_one_workflow(system, 2)
