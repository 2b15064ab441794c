"""Reads for the flood rule: the annunciations it needs, from far enough back, and the flood state now.

An annunciation is an alarm stored as ``annunciated`` (not raised while its building was out
of service), counted at its ``received_at``: this service's clock, indexed. The rule itself,
with no database, is ``alarms_site/alarms/floods.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count
from django.utils import timezone

from alarms_site.alarms.floods import Arrivals, Flood, flood_periods, quiet_between
from alarms_site.alarms.models import Alarm

# How far before a window the flood rule may look for a quiet moment, so that a flood already
# on when the window starts is found with its real start. A flood on for longer than this
# before the window is taken as starting within this reach: the cost stays bounded.
FLOOD_LOOKBACK = timedelta(days=1)


@dataclass(frozen=True)
class FloodNow:
    """The flood state at a moment: whether on, since when, and the flood rule's count then."""

    in_flood: bool
    since: datetime | None
    count: int


def flood_now(*, now: datetime | None = None) -> FloodNow:
    """Whether alarms are in flood at ``now``, since when, and how many were annunciated in the last window."""
    now = now or timezone.now()
    arrivals = annunciations_settled(at=now, until=now)
    floods = flood_periods_of(arrivals, until=now)
    on = floods[-1] if floods and floods[-1].end is None else None
    recent = now - timedelta(minutes=settings.ALARMS_FLOOD_WINDOW_MINUTES)
    count = sum(count for moment, count in arrivals if moment > recent)
    return FloodNow(in_flood=on is not None, since=on.start if on else None, count=count)


def annunciations(**received_at: datetime) -> list[tuple[datetime, int]]:
    """(moment, alarms annunciated at it) in time order, ``received_at`` as the lookups say: one grouped query.

    An alarm batch is stored with one ``received_at``, so a burst is a few rows here, not one per alarm.
    """
    lookups = {f"received_at__{lookup}": moment for lookup, moment in received_at.items()}
    rows = (
        Alarm.objects.filter(annunciated=True, **lookups)
        .values("received_at")
        .annotate(count=Count("id"))
        .order_by("received_at")
        .values_list("received_at", "count")
    )
    return list(rows)


def annunciations_settled(*, at: datetime, until: datetime) -> list[tuple[datetime, int]]:
    """The annunciations up to ``until``, from far enough back that the flood state at ``at`` is exact.

    That is from one flood window before a moment no later than ``at`` whose count is below the
    end threshold (no flood is on then, whatever came before). The history is read back in
    doubling steps until one is found, at most ``FLOOD_LOOKBACK`` before ``at``.
    """
    window = timedelta(minutes=settings.ALARMS_FLOOD_WINDOW_MINUTES)
    reach = window
    since = at - reach
    arrivals = annunciations(gte=since, lte=until)
    while reach < FLOOD_LOOKBACK + window:
        if quiet_between(arrivals, window=window, end=settings.ALARMS_FLOOD_END, since=since + window, until=at):
            break
        reach = min(reach * 2, FLOOD_LOOKBACK + window)
        arrivals = [*annunciations(gte=at - reach, lt=since), *arrivals]
        since = at - reach
    return arrivals


def flood_periods_of(arrivals: Arrivals, *, until: datetime) -> list[Flood]:
    """``floods.flood_periods`` with the thresholds in force."""
    return flood_periods(
        arrivals,
        window=timedelta(minutes=settings.ALARMS_FLOOD_WINDOW_MINUTES),
        start=settings.ALARMS_FLOOD_START,
        end=settings.ALARMS_FLOOD_END,
        until=until,
    )
