"""Reads on alarms: the API's list, and what a live page needs on load and after a reconnect."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Case, Count, IntegerField, Q, QuerySet, Value, When
from django.db.models.functions import TruncMinute
from django.utils import timezone

from alarms_site.alarms.models import Alarm, Severity, State
from alarms_site.alarms.priorities import priority_rank

# How late a live message may arrive after a newer one. Alarms are published right after
# their commit (with a 5 s timeout), but two replicas' messages can overtake each other, and
# replicas insert side by side, so an alarm with a lower id than N may commit (a few
# milliseconds) after it: a page that has seen alarm N may still lack one like that.
REPLAY_MARGIN = timedelta(seconds=10)


ORDERS = ("newest", "priority")
# Waiting for an operator: the states an acknowledgement moves on.
UNACKNOWLEDGED = (State.ACTIVE_UNACKNOWLEDGED, State.CLEARED_UNACKNOWLEDGED)


def alarm_list() -> QuerySet[Alarm]:
    """All alarms, newest first."""
    return Alarm.objects.all()


def alarm_ordered(queryset: QuerySet[Alarm], *, order: str) -> QuerySet[Alarm]:
    """``newest`` first, or by ``priority``: unacknowledged first, highest priority first, then newest.

    The priority order is what an operator needs at the top in a flood: a critical alarm
    waiting for someone, not the latest minor one.
    """
    if order == "newest":
        return queryset.order_by("-id")
    waiting = Case(When(state__in=UNACKNOWLEDGED, then=Value(0)), default=Value(1), output_field=IntegerField())
    return queryset.alias(waiting=waiting, rank=priority_rank()).order_by("waiting", "rank", "-id")


# What the live page's main list shows: open, not shelved, building in service.
ANNUNCIATED_NOW = Q(shelved_at__isnull=True, out_of_service=False) & ~Q(state=State.CLOSED)


def alarm_latest(*, limit: int) -> list[Alarm]:
    """The ``limit`` newest alarms, newest first."""
    return list(Alarm.objects.order_by("-id")[:limit])


@dataclass(frozen=True)
class CatchUp:
    """What a reconnecting page gets: alarms it may lack, newest first, and whether it lacks more."""

    alarms: list[Alarm]
    more: bool


def alarm_catch_up(*, since_id: int, limit: int) -> CatchUp:
    """The alarms a page that has seen up to ``since_id`` may lack (it drops those it has).

    Everything newer than ``since_id``, plus everything stored within ``REPLAY_MARGIN``
    before it, newest first and at most ``limit``. ``more`` says that older unseen alarms
    did not fit: the page shows its newest ``limit`` alarms, so those would not show anyway,
    and it says so.
    """
    condition = Q(pk__gt=since_id)
    anchor = Alarm.objects.filter(pk=since_id).values_list("received_at", flat=True).first()
    if anchor is not None:
        condition |= Q(received_at__gte=anchor - REPLAY_MARGIN)
    candidates = list(Alarm.objects.filter(condition).order_by("-id")[: limit + 1])
    more = len(candidates) > limit and candidates[limit].pk > since_id
    return CatchUp(alarms=candidates[:limit], more=more)


def alarm_acknowledged_among(*, alarm_ids: list[int]) -> list[Alarm]:
    """Those of ``alarm_ids`` that are acknowledged now (a reconnecting page refreshes its rows)."""
    return list(Alarm.objects.filter(pk__in=alarm_ids, acknowledged_at__isnull=False).order_by("id"))


def alarm_counts_per_minute(*, minutes: int, now: datetime | None = None) -> list[dict[str, Any]]:
    """Alarms stored per minute and severity over the last ``minutes`` minutes, oldest first.

    One grouped query; minutes without alarms are filled with zeros so a chart shows a gap
    as a gap. Counted by ``received_at`` (indexed, and set by this service's clock), not by
    ``occurredAt``, which publishers may send late or from a skewed clock. The current minute,
    still filling up, is the last one.
    """
    current = (now or timezone.now()).replace(second=0, microsecond=0)
    first = current - timedelta(minutes=minutes - 1)
    rows = (
        Alarm.objects.filter(received_at__gte=first, received_at__lt=current + timedelta(minutes=1))
        .annotate(minute=TruncMinute("received_at"))
        .values("minute", "severity")
        .annotate(count=Count("id"))
        .order_by()
    )
    buckets = {first + timedelta(minutes=i): dict.fromkeys(Severity.values, 0) for i in range(minutes)}
    for row in rows:
        buckets[row["minute"]][row["severity"]] = row["count"]
    return [{"minute": minute, **counts} for minute, counts in buckets.items()]
