"""Writes on alarms: storing a batch of events exactly once, and acknowledging."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from alarms_site.alarms import live
from alarms_site.alarms.models import Alarm

logger = logging.getLogger(__name__)

# Key of the PostgreSQL advisory lock that serializes alarm inserts (any constant will do).
_INGEST_LOCK = 7_406_001


@transaction.atomic
def alarm_store_batch(*, events: list[dict[str, Any]]) -> list[Alarm]:
    """Store validated ``alarm.created`` payloads in one transaction; returns the alarms that are new.

    Events already stored (a redelivery, a re-publish, the same event twice in a batch) are
    skipped by the unique ``event_id``. Inserts from every bridge replica take one advisory
    lock until commit, which buys two things: ids are handed out in commit order (so "newer
    id" means "committed later", which the live page's catch-up relies on), and no one else
    inserts while we do, so the new rows are exactly those above the highest id seen under
    the lock. Only those are pushed live, once, after commit; a duplicate handled by the
    other replica is pushed by neither.
    """
    if not events:
        return []
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
    highest_before = Alarm.objects.order_by("-id").values_list("id", flat=True).first() or 0
    Alarm.objects.bulk_create(alarms.values(), ignore_conflicts=True)
    new = list(Alarm.objects.filter(event_id__in=alarms.keys(), id__gt=highest_before).order_by("id"))
    if len(new) < len(events):
        logger.info("stored %d new alarms, %d already known", len(new), len(events) - len(new))
    live.push_created(new)
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


def _lock_ingest() -> None:
    # SQLite (the no-PostgreSQL fallback of the run command) already lets one writer in at a time.
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_INGEST_LOCK])
