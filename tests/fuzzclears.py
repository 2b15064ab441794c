"""Hostile ``alarm.cleared`` events: clears that name an open alarm, name none, or are wrong.

The alarms a clear may name are stored before the fuzz; a valid clear names one by its
raise's id (in any spelling a UUID may have) or by building, source and name, and ``named_alarm``
tells which, so a test knows exactly which alarms must end up cleared.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from hypothesis import strategies as st

from tests.fuzzcases import (
    ALARM_FIELDS,
    MAX_INT,
    OK,
    building_ids,
    cases,
    invalid_names,
    json_values,
    valid_names,
    wrong_building_ids,
)


@dataclass(frozen=True)
class OpenAlarm:
    """An alarm stored before the ``alarm.cleared`` fuzz: the two ways a clear may name it."""

    event_id: uuid.UUID
    building_id: int
    source: str
    name: str


UUID_SPELLINGS = {
    "plain": str,
    "hex": lambda value: value.hex,
    "upper": lambda value: str(value).upper(),
    "urn": lambda value: value.urn,
    "braces": lambda value: f"{{{value}}}",
}
CLEAR_FIELDS = {  # what each field of alarm.cleared refuses
    "id": ALARM_FIELDS[0].invalid,
    "alarmEventId": ALARM_FIELDS[0].invalid,
    "buildingId": wrong_building_ids(MAX_INT),
    "source": invalid_names,
    "name": invalid_names,
    "occurredAt": ALARM_FIELDS[4].invalid,
}
KEY_FIELDS = ("buildingId", "source", "name")


@st.composite
def clear_payloads(draw, open_alarms: list[OpenAlarm]) -> tuple[dict, str | int]:
    """(payload, expect) for ``alarm.cleared``: naming an open alarm, by its raise's id (in any
    spelling) or by building, source and name, or naming none; or, one in two, wrong: a bad
    field, both ways of naming, neither, or part of the key."""
    target = draw(st.sampled_from(open_alarms))
    if draw(st.booleans()):
        spell = UUID_SPELLINGS[draw(st.sampled_from(sorted(UUID_SPELLINGS)))]
        payload = {"alarmEventId": spell(target.event_id if draw(st.booleans()) else draw(st.uuids()))}
    elif draw(st.booleans()):
        payload = {"buildingId": target.building_id, "source": target.source, "name": target.name}
    else:
        payload = {"buildingId": draw(building_ids(MAX_INT)), "source": draw(valid_names), "name": draw(valid_names)}
    if draw(st.booleans()):
        payload["id"] = draw(ALARM_FIELDS[0].valid)
    if draw(st.booleans()):
        payload["occurredAt"] = draw(ALARM_FIELDS[4].valid)
    expect: str | int = OK
    if draw(st.booleans()):
        expect = 400
        wrong = draw(st.sampled_from(["field", "both", "neither", "part"]))
        if wrong == "field":
            name = draw(st.sampled_from(sorted(CLEAR_FIELDS)))
            payload[name] = draw(CLEAR_FIELDS[name])
        elif wrong == "both":
            payload.update(alarmEventId=str(target.event_id), buildingId=target.building_id, source=target.source)
            payload["name"] = target.name
        elif wrong == "neither":
            payload = {k: v for k, v in payload.items() if k not in {"alarmEventId", *KEY_FIELDS}}
        else:
            payload = {k: v for k, v in payload.items() if k != "alarmEventId"}
            payload.update(buildingId=target.building_id, source=target.source, name=target.name)
            del payload[draw(st.sampled_from(KEY_FIELDS))]
    extras = draw(st.dictionaries(st.text(max_size=6).map(lambda k: f"x_{k}"), json_values, max_size=2))
    return {**payload, **extras}, expect


def clear_cases(open_alarms: list[OpenAlarm]) -> st.SearchStrategy:
    return cases(clear_payloads(open_alarms), "alarm.cleared", keys=False)


def named_alarm(payload: dict, open_alarms: list[OpenAlarm]) -> OpenAlarm | None:
    """The open alarm a valid clear names, if it names one of them."""
    for candidate in open_alarms:
        if "alarmEventId" in payload:
            if uuid.UUID(payload["alarmEventId"]) == candidate.event_id:
                return candidate
        elif (payload["buildingId"], payload["source"].strip(), payload["name"].strip()) == (
            candidate.building_id,
            candidate.source,
            candidate.name,
        ):
            return candidate
    return None
