"""Storing raises that carry a source: one open alarm per (building, source, name), in one statement.

On PostgreSQL one statement does all of it: it records the events' ids (skipping those
already counted), folds the batch's repeats of one key together, and inserts a new alarm
or adds the repeats to the open one through the partial unique index
``alarm_one_open_per_source``. Two replicas racing on one key stay correct: the second
waits on the first's row in that index, then adds to it. A raise of a cleared but not yet
acknowledged alarm makes it active again.

Elsewhere (SQLite, the run command's fallback) a short transaction does the same row by row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connections, router, transaction
from django.db.models import F, Q
from django.db.models.functions import Greatest

from alarms_site.alarms.models import OPEN_WITH_SOURCE, Alarm, SourcedEvent, State

# Must say what OPEN_WITH_SOURCE says, for PostgreSQL to pick that index as the arbiter.
_OPEN_WITH_SOURCE_SQL = """("source" IS NOT NULL AND NOT ("state" = 'closed'))"""

_UPSERT = f"""
WITH batch AS (
    SELECT * FROM unnest(%s::uuid[], %s::varchar[], %s::integer[], %s::varchar[], %s::varchar[], %s::timestamptz[])
        WITH ORDINALITY AS b(event_id, name, building_id, severity, source, occurred_at, ord)
), fresh AS (
    INSERT INTO {SourcedEvent._meta.db_table} (event_id, received_at)
    SELECT event_id, %s FROM batch ON CONFLICT DO NOTHING RETURNING event_id
), folded AS (
    SELECT DISTINCT ON (b.building_id, b.source, b.name) b.*,
        count(*) OVER w AS repeats, max(b.occurred_at) OVER w AS last_occurred_at
    FROM batch b JOIN fresh USING (event_id)
    WINDOW w AS (PARTITION BY b.building_id, b.source, b.name)
    ORDER BY b.building_id, b.source, b.name, b.ord
)
INSERT INTO {Alarm._meta.db_table} AS alarm
    (event_id, name, building_id, source, severity, state, occurred_at, occurrences, last_occurred_at,
     received_at, out_of_service, annunciated)
SELECT event_id, name, building_id, source, severity, 'active_unacknowledged', occurred_at, repeats,
    last_occurred_at, %s, building_id = ANY(%s::integer[]), NOT building_id = ANY(%s::integer[])
FROM folded ORDER BY ord
ON CONFLICT (building_id, source, name) WHERE {_OPEN_WITH_SOURCE_SQL} DO UPDATE SET
    occurrences = alarm.occurrences + EXCLUDED.occurrences,
    last_occurred_at = GREATEST(alarm.last_occurred_at, EXCLUDED.last_occurred_at),
    state = CASE WHEN alarm.state = 'cleared_unacknowledged' THEN 'active_unacknowledged' ELSE alarm.state END
RETURNING alarm.*, (alarm.xmax = 0) AS inserted,
    (SELECT before.state FROM {Alarm._meta.db_table} before WHERE before.id = alarm.id) AS state_before
"""


@dataclass(frozen=True)
class Upserted:
    """What a batch of sourced raises did: alarms opened, alarms repeated, alarms made active again."""

    opened: list[Alarm]
    repeated: list[Alarm]
    reraised: list[Alarm]


def upsert_sourced(events: list[dict[str, Any]], *, received_at: datetime, out_of_service: set[int]) -> Upserted:
    """Store validated raises that all have a source; ``occurred_at`` must be set on each.

    A new alarm of a building in ``out_of_service`` is stored as such, and not annunciated.
    """
    first_of_each_id: dict[Any, dict[str, Any]] = {}
    for event in events:
        first_of_each_id.setdefault(event["id"], event)
    events = list(first_of_each_id.values())
    if not events:
        return Upserted([], [], [])
    connection = connections[router.db_for_write(Alarm)]
    if connection.vendor != "postgresql":
        return _upsert_row_by_row(
            events, received_at=received_at, out_of_service=out_of_service, using=connection.alias
        )
    columns = ("id", "name", "building_id", "severity", "source", "occurred_at")
    suppressed = sorted(out_of_service)
    params = [[event[column] for event in events] for column in columns] + [
        received_at,
        received_at,
        suppressed,
        suppressed,
    ]
    rows = list(Alarm.objects.db_manager(connection.alias).raw(_UPSERT, params))
    opened = [row for row in rows if row.inserted]
    repeated = [row for row in rows if not row.inserted]
    # A sub-select in RETURNING reads the rows as they were before the statement.
    reraised = [row for row in repeated if row.state_before == State.CLEARED_UNACKNOWLEDGED]
    return Upserted(sorted(opened, key=lambda alarm: alarm.pk), repeated, reraised)


def _upsert_row_by_row(
    events: list[dict[str, Any]], *, received_at: datetime, out_of_service: set[int], using: str
) -> Upserted:
    """``upsert_sourced`` without PostgreSQL: SQLite lets one writer in at a time, so no race."""
    manager = Alarm.objects.db_manager(using)
    opened: dict[int, Alarm] = {}
    repeated: dict[int, Alarm] = {}
    reraised: dict[int, Alarm] = {}
    with transaction.atomic(using=using):
        known = set(
            SourcedEvent.objects.using(using)
            .filter(event_id__in=[event["id"] for event in events])
            .values_list("event_id", flat=True)
        )
        for event in events:
            if event["id"] in known:
                continue
            known.add(event["id"])
            SourcedEvent.objects.using(using).create(event_id=event["id"], received_at=received_at)
            key = Q(building_id=event["building_id"], source=event["source"], name=event["name"]) & OPEN_WITH_SOURCE
            alarm = manager.filter(key).first()
            if alarm is None:
                alarm = manager.create(
                    event_id=event["id"],
                    name=event["name"],
                    building_id=event["building_id"],
                    source=event["source"],
                    severity=event["severity"],
                    occurred_at=event["occurred_at"],
                    last_occurred_at=event["occurred_at"],
                    received_at=received_at,
                    out_of_service=event["building_id"] in out_of_service,
                    annunciated=event["building_id"] not in out_of_service,
                )
                opened[alarm.pk] = alarm
                continue
            if alarm.state == State.CLEARED_UNACKNOWLEDGED:
                reraised[alarm.pk] = alarm
            manager.filter(pk=alarm.pk).update(
                occurrences=F("occurrences") + 1,
                last_occurred_at=Greatest("last_occurred_at", event["occurred_at"]),
                state=State.ACTIVE_UNACKNOWLEDGED if alarm.state == State.CLEARED_UNACKNOWLEDGED else alarm.state,
            )
            if alarm.pk not in opened:
                repeated[alarm.pk] = alarm
        for alarm in [*opened.values(), *repeated.values()]:
            alarm.refresh_from_db()
    return Upserted(list(opened.values()), list(repeated.values()), list(reraised.values()))
