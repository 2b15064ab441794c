"""Whether operators are in an alarm flood now, for the live page's banner and grouped view.

A flood starts when more than ``ALARMS_FLOOD_START`` annunciated alarms (``Alarm.annunciated``:
raised with the building in service) were received within the last
``ALARMS_FLOOD_WINDOW_MINUTES``, and it goes on until that trailing window holds fewer than
``ALARMS_FLOOD_END``: the gap between the two (hysteresis) keeps a flood that is dying down
from flickering on and off with every alarm.

The count in the trailing window alone decides when it is above the start or below the end.
In between, only the history says whether a flood started and has not ended yet, so the
annunciation times of the last ``SCAN_WINDOWS`` windows are replayed (at most ``SCAN_ROWS`` of
them, the newest). A flood that began before that horizon and has hovered between the two
thresholds ever since is not seen: an edge this bounded scan accepts.

This is the live page's own small rule, kept apart on purpose so that it can give way to the
shared flood rule of the KPIs once that exists.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from alarms_site.alarms.models import Alarm

SCAN_WINDOWS = 6
SCAN_ROWS = 5000


@dataclass(frozen=True)
class FloodNow:
    """In flood or not, and the annunciated alarms received within the trailing window."""

    active: bool
    recent: int
    window_minutes: int


def flood_now(*, now: datetime | None = None) -> FloodNow:
    """Whether a flood is on at ``now`` (default: now); one count, and a bounded scan only between the thresholds."""
    now = now or timezone.now()
    window = timedelta(minutes=settings.ALARMS_FLOOD_WINDOW_MINUTES)
    start, end = settings.ALARMS_FLOOD_START, settings.ALARMS_FLOOD_END
    annunciated = Alarm.objects.filter(annunciated=True, received_at__lte=now)
    recent = annunciated.filter(received_at__gt=now - window).count()
    if recent > start or recent < end:
        active = recent > start
    else:
        newest = annunciated.filter(received_at__gt=now - SCAN_WINDOWS * window).order_by("-received_at")
        times = list(newest.values_list("received_at", flat=True)[:SCAN_ROWS])
        active = flooding_after(times, now=now, window=window, start=start, end=end)
    return FloodNow(active=active, recent=recent, window_minutes=settings.ALARMS_FLOOD_WINDOW_MINUTES)


def flooding_after(times: Sequence[datetime], *, now: datetime, window: timedelta, start: int, end: int) -> bool:
    """Replay the annunciations at ``times`` (in any order) up to ``now``: is a flood on at the end?

    The trailing window's count rises as each alarm arrives and falls as it leaves the
    window, ``window`` later; the flood starts above ``start`` and ends below ``end``.
    Arrivals and departures at one instant are taken together: the window is (t - window, t].
    """
    changes: dict[datetime, int] = {}
    for time in times:
        changes[time] = changes.get(time, 0) + 1
        if time + window <= now:
            changes[time + window] = changes.get(time + window, 0) - 1
    count, flooding = 0, False
    for time in sorted(changes):
        count += changes[time]
        if count > start:
            flooding = True
        elif count < end:
            flooding = False
    return flooding
