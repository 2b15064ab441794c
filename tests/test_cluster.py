"""A 3-node NATS cluster on loopback: losing a node under load loses nothing."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from stack import infra
from stack.infra import wait_for
from stack.system import System
from tests.conftest import query
from tests.helpers import (
    BUILDINGS,
    WORKFLOWS,
    client_names,
    every_building_has_exactly_one_workflow,
    start_buildings_and_workflows,
)
from tests.httpclient import post_json

pytestmark = pytest.mark.system


def process_named(connection_name: str) -> str:
    """The process behind a NATS connection name: a bridge's is its own, a web's its URLconf."""
    webs = {f"{s.package}.urls": f"{s.short}-web" for s in (BUILDINGS, WORKFLOWS)}
    return webs.get(connection_name, connection_name)


def test_building_creations_keep_flowing_when_a_cluster_node_dies(procs, databases, cluster, nats_auth):
    nodes, urls = cluster
    system = System(
        procs,
        nats_url=urls,
        nats_auth=nats_auth,
        database_urls=databases,
        ports={s.package: infra.free_port() for s in (BUILDINGS, WORKFLOWS)},
    )
    procs = start_buildings_and_workflows(system, replicas=3)
    url = system.url(BUILDINGS, "/api/buildings/")

    def timed_post(index: int) -> tuple[float, int, dict]:
        sent_at = time.monotonic()
        return sent_at, *post_json(url, {"name": f"Clustered {index}"})

    with ThreadPoolExecutor(16) as pool:
        futures = [pool.submit(timed_post, i) for i in range(300)]
        wait_for(
            lambda: query(system, "buildings_site", "SELECT count(*) FROM buildings_building")[0][0] >= 60,
            timeout=60,
            interval=0.02,
            what="load under way",
        )
        # The node most of the system is connected to, so the loss is felt, not sidestepped.
        connected = [[process_named(name) for name in client_names(node)] for node in nodes]
        victim = max(range(len(nodes)), key=lambda index: len(connected[index]))
        cut_off = set(connected[victim])
        killed_at = time.monotonic()
        nodes[victim].kill()
        results = [future.result() for future in futures]

    assert [status for _, status, _ in results] == [201] * 300
    every_building_has_exactly_one_workflow(system, 300)
    # Processes were connected to the dead node, and each of them lost it and came back.
    assert cut_off, f"no process was connected to {nodes[victim].spec.name}"
    for proc in procs:
        if proc.spec.name in cut_off:
            log = proc.log_text()
            assert "NATS connection lost" in log and "NATS connection restored" in log, proc.spec.name
    # Workflows kept being created during the outage by the web's own request, not only by the
    # outbox relay catching up afterwards.
    created = [body for sent_at, _, body in results if sent_at > killed_at and body["workflow_status"] == "created"]
    print(f"\n{sorted(cut_off)} on {nodes[victim].spec.name}; {len(created)} buildings created with their workflow "
          f"after the kill")  # fmt: skip
    assert len(created) >= 50, len(created)
