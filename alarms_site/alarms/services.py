"""Writes on alarms: storing a batch of events exactly once, and acknowledging."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterable
from typing import Any

from django.db import OperationalError, transaction
from django.utils import timezone

from alarms_site.alarms import live
from alarms_site.alarms.models import Alarm
from sitekit.inserts import insert_new
from sitekit.locks import hold_transaction_lock

logger = logging.getLogger(__name__)

# Key of the PostgreSQL advisory lock a batch takes when it is tried again after a deadlock.
_INGEST_LOCK = 7_406_001
_DEADLOCK = "40P01"  # PostgreSQL's SQLSTATE for "deadlock detected"


def alarm_store_batch(*, events: list[dict[str, Any]]) -> list[Alarm]:
    """Store validated ``alarm.created`` payloads in one statement; returns the alarms that are new.

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


def _store_batch(*, events: list[dict[str, Any]], serialized: bool) -> list[Alarm]:
    if not events:
        return []
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
    # The batch is one INSERT, atomic by itself: no BEGIN and COMMIT round trips. Only the
    # retry needs a transaction, to hold its lock.
    with transaction.atomic() if serialized else contextlib.nullcontext():
        if serialized:
            hold_transaction_lock(_INGEST_LOCK)
        new = insert_new(Alarm, list(alarms.values()), unique_field="event_id")
        live.push_created(new)  # once committed: at once when the INSERT was the transaction
    if len(new) < len(events):
        logger.info("stored %d new alarms, %d already known", len(new), len(events) - len(new))
    return new


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
