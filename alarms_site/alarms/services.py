"""Writes on alarms: storing a batch of events exactly once, and acknowledging."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db import OperationalError, connection, transaction
from django.utils import timezone

from alarms_site.alarms import live
from alarms_site.alarms.models import Alarm

logger = logging.getLogger(__name__)

# Key of the PostgreSQL advisory lock a batch takes when it is tried again after a deadlock.
_INGEST_LOCK = 7_406_001
_DEADLOCK = "40P01"  # PostgreSQL's SQLSTATE for "deadlock detected"

# One statement stores the batch and returns exactly the rows it inserted; known event ids
# are skipped by the unique index. ``unnest`` keeps the batch's order, so ids follow it.
_INSERT_NEW = """
    INSERT INTO {table} (event_id, name, building_id, severity, occurred_at, received_at, acknowledged_by)
    SELECT event_id, name, building_id, severity, occurred_at, %s, ''
    FROM unnest(%s::uuid[], %s::varchar[], %s::integer[], %s::varchar[], %s::timestamptz[])
        AS batch(event_id, name, building_id, severity, occurred_at)
    ON CONFLICT (event_id) DO NOTHING
    RETURNING {columns}
"""


def alarm_store_batch(*, events: list[dict[str, Any]]) -> list[Alarm]:
    """Store validated ``alarm.created`` payloads in one transaction; returns the alarms that are new.

    Events already stored (a redelivery, a re-publish, the same event twice in a batch) are
    skipped by the unique ``event_id``, and only the new alarms are pushed live, once, after
    commit: a duplicate handled by another replica is pushed by neither. Replicas insert
    side by side; ids follow commit order closely (a batch commits within milliseconds),
    which the live page's catch-up allows for (``selectors.REPLAY_MARGIN``).

    Two replicas storing overlapping batches in different orders (redeliveries) can
    deadlock on each other's uncommitted rows; PostgreSQL then aborts one, which tries
    again at once holding a lock that lets one such retry in at a time.
    """
    try:
        return _store_batch(events=events, serialized=False)
    except OperationalError as error:
        if getattr(error.__cause__, "sqlstate", None) != _DEADLOCK:
            raise
        logger.info("alarm batch deadlocked with another replica's; storing it again")
        return _store_batch(events=events, serialized=True)


@transaction.atomic
def _store_batch(*, events: list[dict[str, Any]], serialized: bool) -> list[Alarm]:
    if not events:
        return []
    if serialized:
        _lock_ingest()
    received_at = timezone.now()
    alarms: dict[Any, Alarm] = {}
    for event in events:
        alarms.setdefault(
            event["id"],
            Alarm(
                event_id=event["id"],
                name=event["name"],
                building_id=event["building_id"],
                severity=event["severity"],
                occurred_at=event.get("occurred_at") or received_at,
                received_at=received_at,
            ),
        )
    new = _insert_new(list(alarms.values()), received_at=received_at)
    if len(new) < len(events):
        logger.info("stored %d new alarms, %d already known", len(new), len(events) - len(new))
    live.push_created(new)
    return new


def _insert_new(alarms: list[Alarm], *, received_at: datetime) -> list[Alarm]:
    """Insert the alarms whose event id is unknown; returns those, oldest first."""
    if connection.vendor != "postgresql":
        # SQLite (the run command's fallback) lets one writer in at a time from the start of
        # the transaction, so whatever lies above the highest id seen now is ours.
        highest_before = Alarm.objects.order_by("-id").values_list("id", flat=True).first() or 0
        Alarm.objects.bulk_create(alarms, ignore_conflicts=True)
        event_ids = [alarm.event_id for alarm in alarms]
        return list(Alarm.objects.filter(event_id__in=event_ids, id__gt=highest_before).order_by("id"))
    columns = ", ".join(field.column for field in Alarm._meta.concrete_fields)
    sql = _INSERT_NEW.format(table=Alarm._meta.db_table, columns=columns)
    params = [
        received_at,
        [alarm.event_id for alarm in alarms],
        [alarm.name for alarm in alarms],
        [alarm.building_id for alarm in alarms],
        [alarm.severity for alarm in alarms],
        [alarm.occurred_at for alarm in alarms],
    ]
    return sorted(Alarm.objects.raw(sql, params), key=lambda alarm: alarm.pk)


def alarm_acknowledge(*, alarm: Alarm, by: str) -> Alarm:
    """Acknowledge an alarm; acknowledging it again changes nothing (the first one stands)."""
    alarm_acknowledge_many(alarm_ids=[alarm.pk], by=by)
    alarm.refresh_from_db(fields=["acknowledged_at", "acknowledged_by"])
    return alarm


@transaction.atomic
def alarm_acknowledge_many(*, alarm_ids: Iterable[int], by: str) -> int:
    """Acknowledge the alarms not acknowledged yet; returns how many were, and tells live pages."""
    pending = Alarm.objects.select_for_update().filter(pk__in=list(alarm_ids), acknowledged_at__isnull=True)
    alarms = list(pending.order_by("id"))
    if not alarms:
        return 0
    now = timezone.now()
    Alarm.objects.filter(pk__in=[alarm.pk for alarm in alarms]).update(acknowledged_at=now, acknowledged_by=by)
    for alarm in alarms:
        alarm.acknowledged_at, alarm.acknowledged_by = now, by
    live.push_acknowledged(alarms)
    return len(alarms)


def _lock_ingest() -> None:
    # SQLite (the no-PostgreSQL fallback of the run command) already lets one writer in at a time.
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_INGEST_LOCK])
