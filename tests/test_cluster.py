"""A 3-node NATS cluster on loopback: losing a node under load loses nothing."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from stack import infra
from stack.infra import wait_for
from stack.system import System
from tests.conftest import query
from tests.helpers import BUILDINGS, WORKFLOWS, every_building_has_exactly_one_workflow, start_buildings_and_workflows
from tests.httpclient import post_json

pytestmark = pytest.mark.system


def test_building_creations_keep_flowing_when_a_cluster_node_dies(procs, databases, cluster, nats_auth):
    nodes, urls = cluster
    system = System(
        procs,
        nats_url=urls,
        nats_auth=nats_auth,
        database_urls=databases,
        ports={s.package: infra.free_port() for s in (BUILDINGS, WORKFLOWS)},
    )
    start_buildings_and_workflows(system, replicas=3)
    url = system.url(BUILDINGS, "/api/buildings/")

    with ThreadPoolExecutor(16) as pool:
        futures = [pool.submit(post_json, url, {"name": f"Clustered {i}"}) for i in range(300)]
        wait_for(
            lambda: query(system, "buildings_site", "SELECT count(*) FROM buildings_building")[0][0] >= 60,
            timeout=60,
            interval=0.02,
            what="load under way",
        )
        nodes[0].kill()
        statuses = [future.result()[0] for future in futures]

    assert statuses == [201] * 300
    every_building_has_exactly_one_workflow(system, 300)
