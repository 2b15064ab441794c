"""SIGTERM to every process at once, under load: each drains and exits 0, and nothing is lost.

Buildings are created over HTTP and alarms published by the generator while every process
of the system gets SIGTERM in the same instant. Then the system is started again on the
same databases and NATS server: every saved building must get exactly one workflow, and
every alarm JetStream accepted must be stored once.
"""

from __future__ import annotations

import threading
from collections import Counter

import pytest

from stack.infra import wait_for
from tests.conftest import query
from tests.helpers import (
    ALARMS,
    BUILDINGS,
    consumer_drained,
    count_rows,
    every_building_has_exactly_one_workflow,
    outbox_pending,
    start_buildings_and_workflows,
)
from tests.httpclient import post_json

pytestmark = pytest.mark.system


class BuildingLoad:
    """Threads creating buildings over HTTP until stopped (or a bounded count is reached)."""

    def __init__(self, url: str, *, threads: int = 4, limit: int = 5000) -> None:
        self.url = url
        self.limit = limit
        self.stopping = threading.Event()
        self.answers: Counter = Counter()
        self.created: list[int] = []
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._run, daemon=True) for _ in range(threads)]

    def __enter__(self) -> BuildingLoad:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stopping.set()
        for thread in self._threads:
            thread.join(30)

    def _run(self) -> None:
        while not self.stopping.is_set() and sum(self.answers.values()) < self.limit:
            try:
                status, body = post_json(self.url, {"name": "Under load"}, timeout=10)
            except OSError:  # the server is going away: refused or reset is the expected answer
                status, body = "refused", None
                self.stopping.wait(0.1)
            with self._lock:
                self.answers[status] += 1
                if status == 201:
                    self.created.append(body["id"])


def test_every_process_exits_0_on_sigterm_under_load_and_a_restart_loses_nothing(system):
    start_buildings_and_workflows(system, replicas=2)
    for index in (1, 2):
        system.start_bridge(ALARMS, index).wait_ready()
    system.start_web(ALARMS).wait_ready()
    system.start_generator("--rate", "20", "--burst", "10", "--seed", "7").wait_ready()

    with BuildingLoad(system.url(BUILDINGS, "/api/buildings/")) as load:
        wait_for(
            lambda: (
                count_rows(system, "buildings_site", "buildings_building") >= 100
                and count_rows(system, "alarms_site", "alarms_alarm") >= 500
            ),
            timeout=60,
            interval=0.1,
            what="buildings and alarms flowing",
        )
        codes = system.group.stop_all(timeout=40)

    assert codes == dict.fromkeys(codes, 0), codes
    assert len(codes) == 8
    assert set(load.answers) <= {201, 503, "refused"}, load.answers
    print(
        f"\nat SIGTERM: {dict(load.answers)} HTTP answers, {count_rows(system, 'alarms_site', 'alarms_alarm')} alarms"
    )

    start_buildings_and_workflows(system, replicas=1)
    system.start_bridge(ALARMS, 1).wait_ready()

    buildings = count_rows(system, "buildings_site", "buildings_building")
    every_building_has_exactly_one_workflow(system, buildings)
    saved = {row[0] for row in query(system, "buildings_site", "SELECT id FROM buildings_building")}
    assert load.created and set(load.created) <= saved  # every 201 was really saved
    assert outbox_pending(system) == 0

    state = consumer_drained(system.nats_url)
    assert state["dead_letter"] == 0
    assert count_rows(system, "alarms_site", "alarms_alarm") == state["stream"]  # each accepted alarm, once
