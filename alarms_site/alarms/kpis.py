"""The alarm-management KPIs of ISA-18.2 / EEMUA 191 over a window of time.

An annunciation is an alarm stored as ``annunciated`` (not raised while its building was out
of service), counted at its ``received_at``: this service's clock, indexed. Repeats of an open
alarm and re-raises of a cleared one add to an alarm already in front of the operator, so they
are not counted again. Every KPI of a window covers ``(end - window, end]``, the half-open
interval the flood rule counts over (``alarms_site/alarms/floods.py``; the flood state now is
``flood_selectors.flood_now``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db.models import Count, QuerySet
from django.utils import timezone

from alarms_site.alarms.flood_selectors import annunciations_settled, flood_periods_of
from alarms_site.alarms.floods import Arrivals, Flood
from alarms_site.alarms.models import Action, Alarm, JournalEntry, State
from alarms_site.alarms.priorities import GUIDELINE_SHARE, Priority, priority_name

MIN_WINDOW = timedelta(minutes=10)
MAX_WINDOW = timedelta(days=7)
TOP_SOURCES = 10
OPEN_STATES = [state for state in State.values if state != State.CLOSED]
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Rules:
    """The thresholds the figures were computed with (settings), for a chart's lines."""

    flood_start: int
    flood_end: int
    flood_window_minutes: int
    standing_hours: int


@dataclass(frozen=True)
class Bucket:
    """Alarms annunciated in ``(start, end]``: one flood window, cut to the KPI window at its two ends."""

    start: datetime
    end: datetime
    count: int


@dataclass(frozen=True)
class FloodPeriod:
    """A flood that was on during the window; ``seconds`` is its whole length so far (``end`` None: on)."""

    start: datetime
    end: datetime | None
    seconds: float
    peak: int


@dataclass(frozen=True)
class FloodSummary:
    """The floods of a window: how many, the time in flood inside the window and its share, the peak."""

    count: int
    seconds: float
    percent: float
    peak: int
    periods: list[FloodPeriod]


@dataclass(frozen=True)
class BadActor:
    """One source and its share of the window's annunciations."""

    building_id: int
    source: str
    count: int
    share: float


@dataclass(frozen=True)
class PriorityShare:
    """One priority's share of the window's annunciations, and the guideline's."""

    priority: str
    count: int
    share: float
    guideline: float


@dataclass(frozen=True)
class Kpis:
    """Every KPI of one window."""

    start: datetime
    end: datetime
    rules: Rules
    annunciated: int
    buckets: list[Bucket]
    floods: FloodSummary
    standing: int
    chattering: int
    bad_actors: list[BadActor]
    bad_actors_share: float
    priority_mix: list[PriorityShare]


def alarm_kpis(*, window: timedelta, now: datetime | None = None) -> Kpis:
    """Every KPI over ``(now - window, now]``: five queries, more only while a flood reaches back before the window."""
    end = now or timezone.now()
    start = end - window
    arrivals = annunciations_settled(at=start, until=end)
    in_window = [(moment, count) for moment, count in arrivals if moment > start]
    total = sum(count for _, count in in_window)
    bad_actors = alarm_bad_actors(start=start, end=end, total=total)
    return Kpis(
        start=start,
        end=end,
        rules=flood_rules(),
        annunciated=total,
        buckets=annunciation_buckets(in_window, start=start, end=end),
        floods=flood_summary(flood_periods_of(arrivals, until=end), start=start, end=end),
        standing=alarm_standing_count(now=end),
        chattering=alarm_chattering_count(start=start, end=end),
        bad_actors=bad_actors,
        bad_actors_share=sum(actor.share for actor in bad_actors),
        priority_mix=alarm_priority_mix(start=start, end=end, total=total),
    )


def flood_rules() -> Rules:
    """The flood and standing thresholds in force."""
    return Rules(
        flood_start=settings.ALARMS_FLOOD_START,
        flood_end=settings.ALARMS_FLOOD_END,
        flood_window_minutes=settings.ALARMS_FLOOD_WINDOW_MINUTES,
        standing_hours=settings.ALARMS_STANDING_HOURS,
    )


def annunciation_buckets(arrivals: Arrivals, *, start: datetime, end: datetime) -> list[Bucket]:
    """Annunciations per flood window of the clock (``(10:00, 10:10]``...), zeros included, oldest first.

    A whole bucket's count is the flood rule's count at the bucket's end, so a chart can draw
    the start threshold across the bars. The first and the last bucket are cut to the window.
    """
    size = timedelta(minutes=settings.ALARMS_FLOOD_WINDOW_MINUTES)

    def bucket_end(moment: datetime) -> datetime:
        return EPOCH - ((EPOCH - moment) // size) * size  # the clock's next boundary, or the moment itself

    first = bucket_end(start + timedelta(microseconds=1))
    counts: dict[datetime, int] = {}
    for moment, count in arrivals:
        boundary = bucket_end(moment)
        counts[boundary] = counts.get(boundary, 0) + count
    buckets = []
    boundary = first
    while boundary - size < end:
        buckets.append(Bucket(start=max(boundary - size, start), end=min(boundary, end), count=counts.get(boundary, 0)))
        boundary += size
    return buckets


def flood_summary(floods: list[Flood], *, start: datetime, end: datetime) -> FloodSummary:
    """The floods on at some moment of ``(start, end]``, and the time in flood inside it."""
    periods = []
    inside = timedelta()
    for flood in floods:
        stop = flood.end or end
        if stop <= start:
            continue
        inside += min(stop, end) - max(flood.start, start)
        periods.append(
            FloodPeriod(start=flood.start, end=flood.end, seconds=(stop - flood.start).total_seconds(), peak=flood.peak)
        )
    return FloodSummary(
        count=len(periods),
        seconds=inside.total_seconds(),
        percent=100 * inside / (end - start),
        peak=max((period.peak for period in periods), default=0),
        periods=periods,
    )


def annunciated_in(*, start: datetime, end: datetime) -> QuerySet[Alarm]:
    """The alarms annunciated in ``(start, end]``."""
    return Alarm.objects.filter(annunciated=True, received_at__gt=start, received_at__lte=end)


def alarm_standing_count(*, now: datetime) -> int:
    """Alarms open now (not closed) that were received more than ``ALARMS_STANDING_HOURS`` ago."""
    cutoff = now - timedelta(hours=settings.ALARMS_STANDING_HOURS)
    # ``state IN (the open ones)``, not ``<> closed``, so the state index finds the few open rows.
    return Alarm.objects.filter(state__in=OPEN_STATES, received_at__lt=cutoff).count()


def alarm_chattering_count(*, start: datetime, end: datetime) -> int:
    """Alarms marked chattering in ``(start, end]`` (the journal's ``chattering`` entries)."""
    marked = JournalEntry.objects.filter(action=Action.CHATTERING, at__gt=start, at__lte=end)
    return marked.values("alarm_id").distinct().count()


def alarm_bad_actors(*, start: datetime, end: datetime, total: int) -> list[BadActor]:
    """The ``TOP_SOURCES`` sources with the most annunciations in the window, and their share of ``total``.

    EEMUA 191 counts annunciations: each alarm a (building, source) raised counts once, as
    everywhere here; its repeats while open and its re-raises before anyone acknowledged it
    were no new alarm in front of the operator. Alarms without a source have no point to
    blame and count only in ``total``.
    """
    rows = (
        annunciated_in(start=start, end=end)
        .filter(source__isnull=False)
        .values("building_id", "source")
        .annotate(count=Count("id"))
        .order_by("-count", "building_id", "source")[:TOP_SOURCES]
    )
    return [
        BadActor(
            building_id=row["building_id"], source=row["source"], count=row["count"], share=share(row["count"], total)
        )
        for row in rows
    ]


def alarm_priority_mix(*, start: datetime, end: datetime, total: int) -> list[PriorityShare]:
    """Each priority's share of the window's annunciations next to the 5/15/80 % guideline, highest first."""
    rows = (
        annunciated_in(start=start, end=end)
        .annotate(priority=priority_name())
        .values("priority")
        .annotate(count=Count("id"))
        .order_by()
    )
    counts = {row["priority"]: row["count"] for row in rows}
    return [
        PriorityShare(
            priority=priority,
            count=counts.get(priority, 0),
            share=share(counts.get(priority, 0), total),
            guideline=GUIDELINE_SHARE[priority],
        )
        for priority in Priority.values
    ]


def share(count: int, total: int) -> float:
    """``count`` as a fraction of ``total``; 0 of nothing is 0 (and rows stored between two queries divide no zero)."""
    return count / total if total else 0.0
