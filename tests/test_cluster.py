"""A 3-node NATS cluster on loopback: losing a node under load loses nothing."""

from __future__ import annotations

import itertools
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from stack import infra
from stack.infra import wait_for
from stack.system import System
from tests.helpers import (
    BUILDINGS,
    WORKFLOWS,
    client_names,
    every_building_has_exactly_one_workflow,
    start_buildings_and_workflows,
)
from tests.httpclient import post_json

pytestmark = pytest.mark.system

MAX_POSTS = 1_500  # every loop is bounded: in count, and in time (90 s)
CREATED_AFTER_KILL = 50


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
    results: list[tuple[float, int, dict]] = []
    numbers = itertools.count()
    killed = threading.Event()
    killed_at = [float("inf")]
    enough = threading.Event()

    def created_after_kill() -> list[dict]:
        after = [body for sent_at, _, body in list(results) if sent_at > killed_at[0]]
        return [body for body in after if body["workflow_status"] == "created"]

    def client() -> None:
        """Post until enough workflows came with their request after the kill, at most MAX_POSTS in all."""
        deadline = time.monotonic() + 90
        while not enough.is_set() and time.monotonic() < deadline:
            index = next(numbers)
            if index >= MAX_POSTS:
                return
            sent_at = time.monotonic()
            results.append((sent_at, *post_json(url, {"name": f"Clustered {index}"})))
            if killed.is_set() and len(created_after_kill()) >= CREATED_AFTER_KILL:
                enough.set()

    with ThreadPoolExecutor(16) as pool:
        clients = [pool.submit(client) for _ in range(16)]
        wait_for(lambda: len(results) >= 60, timeout=60, interval=0.02, what="load under way")
        # The node most of the system is connected to, so the loss is felt, not sidestepped.
        connected = [[process_named(name) for name in client_names(node)] for node in nodes]
        victim = max(range(len(nodes)), key=lambda index: len(connected[index]))
        cut_off = set(connected[victim])
        killed_at[0] = time.monotonic()
        nodes[victim].kill()
        killed.set()
        for future in clients:
            future.result()

    assert [status for _, status, _ in results] == [201] * len(results)
    every_building_has_exactly_one_workflow(system, len(results))
    # Processes were connected to the dead node, and each of them lost it and came back.
    assert cut_off, f"no process was connected to {nodes[victim].spec.name}"
    for proc in procs:
        if proc.spec.name in cut_off:
            log = proc.log_text()
            assert "NATS connection lost" in log and "NATS connection restored" in log, proc.spec.name
    # Workflows kept being created after the loss by the web's own request, not only by the outbox
    # relay catching up afterwards: the clients post on until enough have been (a fast machine
    # finished a fixed number of posts while the web was still reconnecting).
    created = created_after_kill()
    print(f"\n{sorted(cut_off)} on {nodes[victim].spec.name}; {len(results)} posts, {len(created)} buildings created "
          f"with their workflow after the kill")  # fmt: skip
    assert len(created) >= CREATED_AFTER_KILL, len(created)
