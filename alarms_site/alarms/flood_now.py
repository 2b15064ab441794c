"""Whether operators are in an alarm flood now, for the live page's banner and grouped view.

A flood starts when more than ``ALARMS_FLOOD_START`` annunciated alarms (``Alarm.annunciated``:
raised with the building in service) were received within the last
``ALARMS_FLOOD_WINDOW_MINUTES``, and it goes on until that trailing window holds fewer than
``ALARMS_FLOOD_END``: the gap between the two (hysteresis) keeps a flood that is dying down
from flickering on and off with every alarm.

The count in the trailing window alone decides when it is above the start or below the end:
one cheap count, which is what the page needs once a second in a flood. In between, only the
history says whether a flood started and has not ended yet: that is the KPIs' flood rule
(``flood_selectors.flood_now``, on ``floods.py``), asked only then, so the banner and the
KPIs never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from alarms_site.alarms import flood_selectors
from alarms_site.alarms.models import Alarm


@dataclass(frozen=True)
class FloodNow:
    """In flood or not, and the annunciated alarms received within the trailing window."""

    active: bool
    recent: int
    window_minutes: int


def flood_now(*, now: datetime | None = None) -> FloodNow:
    """Whether a flood is on at ``now`` (default: now): one count, and the full rule only between the thresholds."""
    now = now or timezone.now()
    window = timedelta(minutes=settings.ALARMS_FLOOD_WINDOW_MINUTES)
    start, end = settings.ALARMS_FLOOD_START, settings.ALARMS_FLOOD_END
    annunciated = Alarm.objects.filter(annunciated=True, received_at__lte=now)
    recent = annunciated.filter(received_at__gt=now - window).count()
    active = recent > start if recent > start or recent < end else flood_selectors.flood_now(now=now).in_flood
    return FloodNow(active=active, recent=recent, window_minutes=settings.ALARMS_FLOOD_WINDOW_MINUTES)
