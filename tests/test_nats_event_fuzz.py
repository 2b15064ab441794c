"""Hostile events on every JetStream subject the alarms bridges consume, against the real bridges.

Hypothesis draws batches of events (random bytes, invalid UTF-8, huge bodies, wrong JSON
types, missing and extra fields, NestJS envelopes with bad parts, NUL, lone surrogates, RTL,
emoji, 10k-character names, ids beyond the column; clears naming an alarm twice over, or not
at all) and publishes each batch at once, so a bad event shares a batch with good ones. Each
event carries its own trace id, which a parked copy keeps: so every event is known to be
stored, or parked on its dead-letter stream with a reason, and never both. The databases
hold exactly what the valid events say, the bridges keep consuming afterwards, and no
process logs a traceback or an error. The draws are derandomized, so a run is repeatable.
"""

from __future__ import annotations

import uuid
from collections import Counter

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from stack.infra import wait_for
from stack.system import System
from tests.conftest import query
from tests.fuzzcases import FUZZ, OK, Case, alarm_cases, payload_of
from tests.fuzzclears import OpenAlarm, clear_cases, named_alarm
from tests.fuzzparking import Parking, Reader
from tests.helpers import (
    ALARMS,
    DEAD_LETTER_STREAM,
    DURABLE,
    STREAM,
    Message,
    alarm,
    every_alarm_stored_once,
    publish,
)
from tests.proclogs import assert_no_crash

pytestmark = [pytest.mark.system, pytest.mark.usefixtures("json_logs")]

CLEARED_DURABLE = "alarms-service-cleared"  # alarms_site/routes.py
CLEARED_DEAD_LETTER_STREAM = "ALARMS_CLEARED_DEAD_LETTER"
OPEN_ALARMS = 60  # alarms the clears may name: enough that a batch clears only some


def start_alarm_bridges(system: System) -> None:
    replicas = [system.start_bridge(ALARMS, index) for index in (1, 2)]
    for replica in replicas:
        replica.wait_ready()


def test_it_stores_every_valid_hostile_alarm_once_and_parks_every_invalid_one(system):
    start_alarm_bridges(system)
    parking = Parking("alarm.created", STREAM, [Reader(DURABLE, DEAD_LETTER_STREAM)])
    expected_ids: set[str] = set()
    kinds: Counter = Counter()

    @FUZZ
    @given(st.lists(alarm_cases(), min_size=10, max_size=40))
    def hostile_batch(cases: list[Case]) -> None:
        kinds.update(case.kind for case in cases)
        sent = parking.send(system, cases)
        stored = stored_alarms(system)
        for case, (message, parked) in zip(cases, sent, strict=True):
            event_id = str(case.event_id or message.msg_id)  # without an id, the Nats-Msg-Id is the event's
            if case.expect == OK:
                payload = payload_of(case)
                assert stored.get(event_id) == (payload["name"].strip(), payload["buildingId"]), case.data
            if not parked:
                expected_ids.add(event_id)
        # Each event stored or parked, never both; no row but those of the events not parked.
        assert set(stored) == expected_ids

    hostile_batch()
    print(f"\nalarm.created fuzz: {sum(kinds.values())} events, {len(expected_ids)} stored, "
          f"{parking.seen} parked, {dict(kinds)}")  # fmt: skip

    normal = alarm()
    publish(system.nats_url, [Message(orjson.dumps(normal), msg_id=normal["id"])])
    every_alarm_stored_once(system, expected_ids | {normal["id"]}, timeout=30)
    assert_no_crash(system)


def test_it_clears_exactly_the_alarms_valid_hostile_clears_name_and_parks_every_invalid_one(system):
    start_alarm_bridges(system)
    open_alarms = raise_alarms(system, OPEN_ALARMS)
    before = alarm_rows(system)
    parking = Parking("alarm.cleared", STREAM, [Reader(CLEARED_DURABLE, CLEARED_DEAD_LETTER_STREAM)])
    cleared: set[uuid.UUID] = set()
    kinds: Counter = Counter()

    @FUZZ
    @given(st.lists(clear_cases(open_alarms), min_size=10, max_size=40))
    def hostile_batch(cases: list[Case]) -> None:
        kinds.update(case.kind for case in cases)
        parking.send(system, cases)
        for case in cases:
            payload = payload_of(case)
            target = named_alarm(payload, open_alarms) if payload is not None else None
            if target is not None:
                cleared.add(target.event_id)
        # The alarms the valid clears named are cleared, once, and journaled; nothing else changed.
        after = alarm_rows(system)
        assert after == {event_id: as_cleared(row) if event_id in cleared else row for event_id, row in before.items()}
        assert journal(system) == Counter({(event_id, "clear"): 1 for event_id in cleared})

    hostile_batch()
    print(f"\nalarm.cleared fuzz: {sum(kinds.values())} events, {len(cleared)} of {OPEN_ALARMS} alarms cleared, "
          f"{parking.seen} parked, {dict(kinds)}")  # fmt: skip

    [late] = raise_alarms(system, 1)
    clear = {"buildingId": late.building_id, "source": late.source, "name": late.name}
    publish(system.nats_url, [Message(orjson.dumps(clear), subject="alarm.cleared")])
    wait_for(lambda: alarm_rows(system)[late.event_id][0] == "cleared_unacknowledged", timeout=30,
             what="a normal clear after the fuzz")  # fmt: skip
    assert_no_crash(system)


def raise_alarms(system: System, count: int) -> list[OpenAlarm]:
    """``count`` alarms, each from its own source, stored by the bridges before this returns."""
    raises = [alarm(source=f"fuzz/point-{uuid.uuid4().hex[:8]}") for _ in range(count)]
    publish(system.nats_url, [Message(orjson.dumps(payload), msg_id=payload["id"]) for payload in raises])
    wait_for(lambda: {p["id"] for p in raises} <= set(stored_alarms(system)), timeout=30, what=f"{count} raises")
    return [OpenAlarm(uuid.UUID(p["id"]), p["buildingId"], p["source"], p["name"]) for p in raises]


def alarm_rows(system: System) -> dict[uuid.UUID, tuple]:
    """Event id -> (state, cleared, name, building, source, occurrences, acknowledged) of every alarm."""
    statement = ("SELECT event_id, state, cleared_at IS NOT NULL, name, building_id, source, occurrences,"
                 " acknowledged_at IS NOT NULL FROM alarms_alarm")  # fmt: skip
    return {row[0]: row[1:] for row in query(system, "alarms_site", statement)}


def as_cleared(row: tuple) -> tuple:
    """An open, unacknowledged alarm's row once cleared."""
    return ("cleared_unacknowledged", True, *row[2:])


def journal(system: System) -> Counter:
    """(event id, action) of every journal entry."""
    statement = "SELECT a.event_id, j.action FROM alarms_journalentry j JOIN alarms_alarm a ON a.id = j.alarm_id"
    return Counter(query(system, "alarms_site", statement))


def stored_alarms(system: System) -> dict[str, tuple[str, int]]:
    """Event id -> (name, building id) of every stored alarm."""
    rows = query(system, "alarms_site", "SELECT event_id, name, building_id FROM alarms_alarm")
    return {str(event_id): (name, building_id) for event_id, name, building_id in rows}
