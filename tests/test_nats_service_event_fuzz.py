"""Hostile events on every JetStream subject the services send each other, against the real bridges.

``building.deleted`` (read by the workflows and the alarms bridges), ``workflow.status_changed``
(the buildings and the alarms bridges) and ``alarms.open_counts`` (the buildings bridge): the
same hostile batches as test_nats_event_fuzz.py, each event with its own trace id. Every
invalid event is parked on each reader's dead-letter stream with a reason, no valid one is,
every reader consumes the whole batch, and no process logs a traceback or an error.

The databases start empty, so no building id a valid event names holds anything: a deletion
closes nothing, a maintenance puts no known building out of service, a count moves no
building's; the test holds them to that, and afterwards each reader still takes normal events.
"""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stack.system import System
from tests.fuzzcases import FUZZ, Case
from tests.fuzzparking import Parking, Reader
from tests.fuzzservices import alarm_open_counts_cases, building_deleted_cases, workflow_status_changed_cases
from tests.helpers import ALARMS, BUILDINGS, WORKFLOWS, count_rows
from tests.proclogs import assert_no_crash

pytestmark = [pytest.mark.system, pytest.mark.usefixtures("json_logs")]

# Where each subject is read (the three sites' routes.py): its stream, and each reader's durable
# consumer and dead-letter stream.
PARKINGS = {
    "building.deleted": ("BUILDINGS", [
        Reader("workflows-service-buildings", "WORKFLOWS_BUILDINGS_DEAD_LETTER"),
        Reader("alarms-service-buildings", "ALARMS_BUILDINGS_DEAD_LETTER"),
    ]),
    "workflow.status_changed": ("WORKFLOWS", [
        Reader("buildings-service-workflows", "BUILDINGS_WORKFLOWS_DEAD_LETTER"),
        Reader("alarms-service-workflows", "ALARMS_WORKFLOWS_DEAD_LETTER"),
    ]),
    "alarms.open_counts": ("ALARM_COUNTS", [
        Reader("buildings-service-alarm-counts", "BUILDINGS_ALARM_COUNTS_DEAD_LETTER"),
    ]),
}  # fmt: skip
STRATEGIES = {
    "building.deleted": building_deleted_cases,
    "workflow.status_changed": workflow_status_changed_cases,
    "alarms.open_counts": alarm_open_counts_cases,
}
# Tables a valid event could fill only for a building that exists (none does).
UNTOUCHED = [("buildings_site", "buildings_building"), ("workflows_site", "workflows_workflow"),
             ("alarms_site", "alarms_alarm")]  # fmt: skip


def start_bridges(system: System) -> None:
    """One bridge of each site: together they read every subject here."""
    bridges = [system.start_bridge(BUILDINGS), system.start_bridge(WORKFLOWS), system.start_bridge(ALARMS)]
    for bridge in bridges:
        bridge.wait_ready()


def normal_events(subject: str) -> list[Case]:
    """A few valid events of ``subject``, as the services send them."""
    now = datetime.now(UTC).isoformat()
    events = {
        "building.deleted": [{"id": str(uuid.uuid4()), "buildingId": 900 + n, "deletedAt": now} for n in range(3)],
        "workflow.status_changed": [
            {
                "id": str(uuid.uuid4()),
                "workflowId": 900 + n,
                "buildingId": 900 + n,
                "kind": "maintenance",
                "name": "After the fuzz",
                "status": "active",
                "previousStatus": "new",
                "version": 2,
                "changedAt": now,
            }
            for n in range(3)
        ],
        "alarms.open_counts": [
            {"id": str(uuid.uuid4()), "asOf": now, "counts": [{"buildingId": 900 + n, "openAlarms": n}]}
            for n in range(3)
        ],
    }
    return [Case("object", payload) for payload in events[subject]]


@pytest.mark.parametrize("subject", list(PARKINGS))
def test_every_reader_parks_every_invalid_hostile_service_event_and_consumes_the_rest(system, subject):
    start_bridges(system)
    stream, readers = PARKINGS[subject]
    parking = Parking(subject, stream, [Reader(reader.durable, reader.dead_letter_stream) for reader in readers])
    kinds: Counter = Counter()
    valid = 0

    @FUZZ
    @given(st.lists(STRATEGIES[subject](), min_size=10, max_size=40))
    def hostile_batch(cases: list[Case]) -> None:
        nonlocal valid
        kinds.update(case.kind for case in cases)
        valid += sum(not parked for _, parked in parking.send(system, cases))
        assert [count_rows(system, package, table) for package, table in UNTOUCHED] == [0, 0, 0]

    hostile_batch()
    print(f"\n{subject} fuzz: {sum(kinds.values())} events, {valid} consumed, {parking.seen} parked "
          f"by {len(readers)} readers, {dict(kinds)}")  # fmt: skip

    parking.send(system, normal_events(subject))  # consumed, none parked: the readers kept consuming
    assert_no_crash(system)
