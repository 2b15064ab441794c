"""Open alarms per building, announced for the buildings site's read model (``alarms.open_counts``).

Each alarms bridge runs ``open_counts_publish`` every ``ALARMS_COUNTS_SECONDS``, one bridge at a
time (an advisory lock: a second one waits, then finds nothing left to say). It counts the open
(not closed) alarms of each building, compares them with the counts last announced
(``PublishedCount``), and announces the buildings whose count changed, at most 1,000 per event,
through the outbox in the transaction that records them as announced: a count is never lost,
never announced twice, and one that changed and changed back between two runs is not sent.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from alarms_site.alarms.models import Alarm, PublishedCount, State
from bridge.outbox.services import outbox_announce
from sitekit.locks import hold_transaction_lock

SUBJECT = "alarms.open_counts"
PER_EVENT = 1000  # buildings per event at most (the contract's limit)
OPEN = (State.ACTIVE_UNACKNOWLEDGED, State.ACTIVE_ACKNOWLEDGED, State.CLEARED_UNACKNOWLEDGED)
# Key of the PostgreSQL advisory lock one publishing run holds.
_COUNTS_LOCK = 7_406_002


@transaction.atomic
def open_counts_publish() -> int:
    """Announce the buildings whose number of open alarms changed since last announced; returns how many."""
    hold_transaction_lock(_COUNTS_LOCK)
    as_of = timezone.now()
    counted = Alarm.objects.filter(state__in=OPEN).order_by().values_list("building_id").annotate(Count("id"))
    now_open = dict(counted)
    announced = dict(PublishedCount.objects.values_list("building_id", "open_alarms"))
    changed = sorted(
        (building_id, now_open.get(building_id, 0))
        for building_id in now_open.keys() | announced.keys()
        if now_open.get(building_id, 0) != announced.get(building_id, 0)
    )
    for start in range(0, len(changed), PER_EVENT):
        event_id = uuid.uuid4()
        counts = [
            {"buildingId": building_id, "openAlarms": count}
            for building_id, count in changed[start : start + PER_EVENT]
        ]
        outbox_announce(
            subject=SUBJECT,
            payload={"id": str(event_id), "asOf": as_of.isoformat(), "counts": counts},
            key=f"alarm-counts-{event_id}",
        )
    _record(changed, as_of=as_of)
    return len(changed)


def _record(changed: list[tuple[int, int]], *, as_of: datetime) -> None:
    """Keep what was announced; a building announced at 0 needs no row."""
    PublishedCount.objects.filter(building_id__in=[building_id for building_id, count in changed if not count]).delete()
    PublishedCount.objects.bulk_create(
        [PublishedCount(building_id=b, open_alarms=count, published_at=as_of) for b, count in changed if count],
        update_conflicts=True,
        unique_fields=["building_id"],
        update_fields=["open_alarms", "published_at"],
    )
