"""Hostile events the services send each other: ``building.deleted``, ``workflow.status_changed``
and ``alarms.open_counts``, each with the outcome the contract promises (docs/asyncapi.yaml).

Valid building ids stay within a PostgreSQL integer, which every reader takes; wrong ones are
beyond a bigint, or not a positive JSON integer at all, which every reader refuses.
"""

from __future__ import annotations

from dataclasses import replace

from hypothesis import strategies as st

from tests.fuzzcases import (
    MAX_BIGINT,
    MAX_INT,
    OK,
    Case,
    Field,
    cases,
    invalid_names,
    objects,
    valid_names,
    wrong_integers,
)
from tests.fuzzcases import _after_2000 as after_2000
from tests.fuzzcases import _uuid_spellings as uuid_spellings

WORKFLOW_STATUSES = ["new", "active", "completed", "cancelled"]
WORKFLOW_KINDS = ["general", "response", "maintenance"]
valid_ids = st.integers(1, MAX_INT) | st.sampled_from([1, MAX_INT])
wrong_ids = st.one_of(
    wrong_integers.filter(lambda value: not (isinstance(value, int) and 0 < value <= MAX_BIGINT)),
    st.integers(MAX_BIGINT + 1, 2**63 + 10),
)
timestamps = after_2000.map(lambda moment: moment.isoformat())
wrong_timestamps = st.sampled_from(["last tuesday", "2024-02-30T00:00:00Z", "", None, 1700000000, "\x00", [], {}])
wrong_choices = st.sampled_from(["", "ACTIVE", "apocalyptic", "new ", None, 1, True, ["active"], {}])
EVENT_ID = Field("id", uuid_spellings, st.sampled_from(["not-a-uuid", 123, True, [], {}, "g" * 32, "\x00"]),
                 required=False)  # fmt: skip  # the bridge takes Nats-Msg-Id when it is left out

BUILDING_DELETED_FIELDS = [
    EVENT_ID,
    Field("buildingId", valid_ids, wrong_ids),
    Field("deletedAt", timestamps, wrong_timestamps, required=False),
]
WORKFLOW_STATUS_CHANGED_FIELDS = [
    EVENT_ID,
    Field("workflowId", valid_ids, wrong_ids),
    Field("buildingId", valid_ids, wrong_ids),
    Field("kind", st.sampled_from(WORKFLOW_KINDS), wrong_choices),
    Field("name", valid_names, invalid_names),
    Field("status", st.sampled_from(WORKFLOW_STATUSES), wrong_choices),
    Field("previousStatus", st.sampled_from([*WORKFLOW_STATUSES, None]), wrong_choices.filter(lambda v: v is not None)),
    Field("version", valid_ids, wrong_ids),
    Field("changedAt", timestamps, wrong_timestamps),
]
_count = st.fixed_dictionaries({"buildingId": valid_ids, "openAlarms": st.integers(0, MAX_INT)})
_wrong_count = st.one_of(
    _count.flatmap(lambda count: wrong_ids.map(lambda wrong: {**count, "buildingId": wrong})),
    _count.flatmap(
        lambda count: wrong_integers.filter(lambda v: not (isinstance(v, int) and v >= 0)).map(
            lambda wrong: {**count, "openAlarms": wrong}
        )
    ),
    _count.map(lambda count: {"buildingId": count["buildingId"]}),
    st.sampled_from([None, 1, "count", [], {}]),
)
ALARM_OPEN_COUNTS_FIELDS = [
    EVENT_ID,
    Field("asOf", timestamps, wrong_timestamps),
    Field(
        "counts",
        st.lists(_count, max_size=5),
        st.one_of(
            st.sampled_from([None, 1, "counts", {}, {"buildingId": 1, "openAlarms": 0}]),
            st.tuples(st.lists(_count, max_size=3), _wrong_count).map(lambda drawn: [*drawn[0], drawn[1]]),
            st.just([{"buildingId": 1, "openAlarms": 0}] * 1001),
        ),
    ),
]


def _boundary_is_a_deletion(case: Case) -> Case:
    """The message exactly at the size limit names building 1 and nothing ``building.deleted`` refuses
    (its long ``name`` is an extra field): a valid deletion, its id the Nats-Msg-Id."""
    return replace(case, expect=OK) if case.kind == "boundary" else case


def building_deleted_cases() -> st.SearchStrategy:
    return cases(objects(BUILDING_DELETED_FIELDS), "building.deleted", keys=False).map(_boundary_is_a_deletion)


def workflow_status_changed_cases() -> st.SearchStrategy:
    return cases(objects(WORKFLOW_STATUS_CHANGED_FIELDS), "workflow.status_changed", keys=False)


def alarm_open_counts_cases() -> st.SearchStrategy:
    return cases(objects(ALARM_OPEN_COUNTS_FIELDS), "alarms.open_counts", keys=False)
