"""Reads on alarms: the API's list, and what a live page needs on load and after a reconnect."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Q, QuerySet

from alarms_site.alarms.models import Alarm

# How late a live message may arrive after a newer one. Alarms are published right after
# their commit (with a 5 s timeout), but two replicas' messages can overtake each other, and
# replicas insert side by side, so an alarm with a lower id than N may commit (a few
# milliseconds) after it: a page that has seen alarm N may still lack one like that.
REPLAY_MARGIN = timedelta(seconds=10)


def alarm_list() -> QuerySet[Alarm]:
    """All alarms, newest first."""
    return Alarm.objects.all()


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
