"""alarm.created from JetStream into the alarms database: nothing lost, nothing stored twice.

Real processes (alarms bridge replicas) against a private nats-server with JetStream and a
private PostgreSQL database per test.
"""

from __future__ import annotations

import threading
import uuid

import orjson
import pytest

from natswire.envelope import nest_event
from stack.infra import wait_for
from tests.conftest import query
from tests.helpers import (
    ALARMS,
    Batch,
    Message,
    alarm,
    assert_each_stored_once,
    create_streams,
    jetstream_state,
    publish,
    stored_ids,
    stored_rows,
)

pytestmark = pytest.mark.system


def mixed_thousand() -> Batch:
    """1,000 messages: 900 distinct valid alarms (20 as NestJS envelopes), 50 repeats, 50 malformed."""
    batch = Batch()
    valid = [alarm() for _ in range(880)]
    for payload in valid:
        batch.messages.append(Message(orjson.dumps(payload), msg_id=payload["id"]))
        batch.expected_ids.add(payload["id"])
    for index in range(10):  # NestJS's emit: envelope, core NATS, no headers, no id
        batch.messages.append(
            Message(nest_event("alarm.created", {"name": f"Nest {index}", "buildingId": 9}), core=True)
        )
    for _ in range(10):  # an envelope that carries our optional id
        payload = alarm()
        batch.messages.append(Message(nest_event("alarm.created", payload), msg_id=payload["id"]))
        batch.expected_ids.add(payload["id"])
    for payload in valid[:25]:  # re-published with the same Nats-Msg-Id: JetStream drops them
        batch.messages.append(Message(orjson.dumps(payload), msg_id=payload["id"]))
    for payload in valid[25:50]:  # same event, no Nats-Msg-Id: stored in the stream, deduplicated by the database
        batch.messages.append(Message(orjson.dumps({**payload, "name": "Repeat"})))
        batch.copies[payload["id"]] = {payload["name"], "Repeat"}
    malformed = [
        b"not json",
        b"[1, 2, 3]",
        b'{"pattern": "alarm.created", "data": "not an object"}',
        orjson.dumps({"buildingId": 1}),
        orjson.dumps(alarm(name=42)),
        orjson.dumps(alarm(buildingId="7")),
        orjson.dumps(alarm(buildingId=-1)),
        orjson.dumps(alarm(buildingId=2**40)),
        orjson.dumps(alarm(severity="apocalyptic")),
        orjson.dumps(alarm(id=123)),
        orjson.dumps(alarm(occurredAt="last tuesday")),
    ]
    for index in range(50):
        batch.messages.append(Message(malformed[index % len(malformed)], msg_id=str(uuid.uuid4())))
    batch.malformed = 50
    assert len(batch.messages) == 1000
    return batch


def test_it_stores_exactly_the_valid_distinct_alarms_published_while_the_service_was_down(system):
    create_streams(system)
    batch = mixed_thousand()
    publish(system.nats_url, batch.messages)

    replicas = [system.start_bridge(ALARMS, index) for index in (1, 2)]
    for replica in replicas:
        replica.wait_ready()

    def settled():
        state = jetstream_state(system.nats_url)
        done = state["pending"] == 0 and state["unacknowledged"] == 0 and state["dead_letter"] == batch.malformed
        return state if done else None

    state = wait_for(settled, timeout=30, interval=0.25, what="every event acknowledged or parked")
    assert state["stream"] == 975  # the 25 same-id re-publishes never entered the stream
    rows = stored_rows(system)
    assert_each_stored_once(rows)
    ids = set(rows)
    nest = query(system, "alarms_site", "SELECT count(*) FROM alarms_alarm WHERE name LIKE 'Nest %%'")[0][0]
    assert len(ids) == 900
    assert batch.expected_ids <= ids
    assert nest == 10
    # An event published twice under one id is one row (each stored once, above). Which of its two
    # copies the row holds is not ordered: the two replicas store their batches side by side, and a
    # later batch may commit first. Either way it is one of the copies, never a mix or another's.
    statement = "SELECT event_id::text, name FROM alarms_alarm WHERE event_id::text = ANY(%s)"
    kept = dict(query(system, "alarms_site", statement, (list(batch.copies),)))
    assert {event_id: kept.get(event_id) in names for event_id, names in batch.copies.items()} == dict.fromkeys(
        batch.copies, True
    )
    assert query(system, "alarms_site", "SELECT count(*) FROM alarms_alarm WHERE name = 'Repeat'")[0][0] == sum(
        kept[event_id] == "Repeat" for event_id in batch.copies
    )
    assert all(reason.startswith(("Body is not valid JSON", "Payload must be", "Invalid payload"))
               for reason in state["reasons"])  # fmt: skip


def test_it_loses_nothing_when_a_replica_is_killed_mid_stream(system):
    replicas = [system.start_bridge(ALARMS, index) for index in (1, 2)]
    for replica in replicas:
        replica.wait_ready()
    payloads = [alarm() for _ in range(3000)]
    messages = [Message(orjson.dumps(payload), msg_id=payload["id"]) for payload in payloads]

    def publish_steadily() -> None:
        for start in range(0, len(messages), 100):
            publish(system.nats_url, messages[start : start + 100])

    publisher = threading.Thread(target=publish_steadily)
    publisher.start()

    def some_stored() -> bool:
        return query(system, "alarms_site", "SELECT count(*) FROM alarms_alarm")[0][0] >= 300

    wait_for(some_stored, timeout=30, what="the replicas to start storing")
    replicas[0].kill()
    publisher.join(60)

    def all_stored():
        count = query(system, "alarms_site", "SELECT count(*) FROM alarms_alarm")[0][0]
        return count if count == len(payloads) else None

    # What the killed replica held unacknowledged comes back after the consumer's ack wait.
    wait_for(all_stored, timeout=60, interval=0.5, what="every alarm stored despite the killed replica")
    assert stored_ids(system) == {p["id"] for p in payloads}
    assert not publisher.is_alive()
