"""Alarms under faults: whatever JetStream acknowledged is stored, once.

NATS restarted mid-stream, the alarms database away for ten seconds, and a node of a 3-node
cluster lost with the stream replicated three times, each while alarms keep coming.
"""

from __future__ import annotations

import time
from urllib.parse import urlparse

import pytest

from stack import infra
from stack.infra import wait_for
from stack.system import System
from tests.conftest import query
from tests.faultproxy import FaultProxy
from tests.helpers import (
    ALARMS,
    AlarmPublisher,
    count_rows,
    every_acknowledged_alarm_stored_once,
    jetstream_state,
)

pytestmark = pytest.mark.system


def start_alarm_bridges(system: System, replicas: int = 2) -> None:
    bridges = [system.start_bridge(ALARMS, index) for index in range(1, replicas + 1)]
    for bridge in bridges:
        bridge.wait_ready()


def stored_at_least(system: System, count: int) -> None:
    wait_for(lambda: count_rows(system, "alarms_site", "alarms_alarm") >= count, timeout=60, interval=0.1,
             what=f"{count} alarms stored")  # fmt: skip


def other_sessions(system: System) -> int:
    """Sessions on the alarms database other than this query's own (the bridges', through the proxy)."""
    statement = "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
    return query(system, ALARMS.package, statement)[0][0]


def test_no_acknowledged_alarm_is_lost_when_nats_restarts_mid_stream(procs, databases, restartable_nats, nats_auth):
    system = System(
        procs,
        nats_url=restartable_nats.url,
        nats_auth=nats_auth,
        database_urls=databases,
        ports={ALARMS.package: infra.free_port()},
    )
    start_alarm_bridges(system)

    with AlarmPublisher(system.nats_url) as publisher:
        stored_at_least(system, 300)
        restartable_nats.stop()
        time.sleep(2)
        restartable_nats.start()
        before = len(publisher.acknowledged)
        wait_for(lambda: len(publisher.acknowledged) >= before + 300, timeout=60, what="publishing again")

    # Acknowledgements lost in the restart bring their alarms back after the consumer's 30 s
    # ack wait, already stored (and then deduplicated): no need to wait for that here.
    every_acknowledged_alarm_stored_once(system, publisher, drained=False)
    assert all(proc.alive() for proc in procs.procs)
    bridges = [proc for proc in procs.procs if proc.spec.name.startswith("alarms-bridge")]
    # The restart really cut every bridge off, and each came back by itself.
    assert all("NATS connection restored" in bridge.log_text() for bridge in bridges)


def test_the_bridge_stops_acknowledging_while_its_database_is_away_and_stores_everything_after(system):
    database = urlparse(system.database_urls[ALARMS.package])
    with FaultProxy(database.hostname, database.port) as proxy:
        proxied = database._replace(netloc=f"{database.username}@127.0.0.1:{proxy.port}").geturl()
        cut_off = System(system.group, nats_url=system.nats_url, nats_auth=system.nats_auth,
                         database_urls={**system.database_urls, ALARMS.package: proxied})  # fmt: skip
        start_alarm_bridges(cut_off)

        with AlarmPublisher(system.nats_url) as publisher:
            stored_at_least(system, 300)
            proxy.cut()
            # The cut has taken effect once PostgreSQL has ended every bridge session: a
            # transaction that was committing when the proxy closed has committed by then.
            wait_for(lambda: other_sessions(system) == 0, timeout=30, interval=0.05, what="the bridges cut off")
            during = count_rows(system, "alarms_site", "alarms_alarm")  # read past the proxy
            # Acknowledgements of what was stored before the cut leave right after each commit;
            # one second is far more than their trip to the server over loopback.
            time.sleep(1)
            before = jetstream_state(system.nats_url, reasons=0)
            time.sleep(10)
            after = jetstream_state(system.nats_url, reasons=0)
            assert count_rows(system, "alarms_site", "alarms_alarm") == during  # nothing stored meanwhile
            assert after["ack_floor"] == before["ack_floor"]  # and nothing acknowledged away
            assert after["pending"] + after["unacknowledged"] > before["pending"] + before["unacknowledged"]
            proxy.restore()
            stored_at_least(system, during + 300)
            wait_for(lambda: jetstream_state(system.nats_url, reasons=0)["ack_floor"] > after["ack_floor"],
                     timeout=60, interval=0.25, what="acknowledging again")  # fmt: skip

        every_acknowledged_alarm_stored_once(system, publisher)


def test_losing_a_cluster_node_loses_no_acknowledged_alarm_with_the_stream_on_three_nodes(
    procs, databases, cluster, nats_auth
):
    nodes, urls = cluster
    system = System(procs, nats_url=urls, nats_auth=nats_auth, database_urls=databases,
                    extra_env={"JETSTREAM_REPLICAS": "3"}, ports={ALARMS.package: infra.free_port()})  # fmt: skip
    start_alarm_bridges(system)

    with AlarmPublisher(urls) as publisher:
        stored_at_least(system, 300)
        nodes[0].kill()
        before = len(publisher.acknowledged)
        wait_for(lambda: len(publisher.acknowledged) >= before + 500, timeout=60, what="publishing on two nodes")

    state = every_acknowledged_alarm_stored_once(system, publisher)
    assert state["stream"] >= len(publisher.acknowledged)
