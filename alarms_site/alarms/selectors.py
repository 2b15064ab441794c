"""Reads on alarms: the API's list, and what a live page needs on load, live and after a reconnect."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Case, Count, IntegerField, Min, Q, QuerySet, Value, When
from django.db.models.functions import TruncMinute
from django.utils import timezone

from alarms_site.alarms.models import Alarm, Severity, State
from alarms_site.alarms.priorities import RANK, priority_rank

# How late a live message may arrive after a newer one. Alarms are published right after
# their commit (with a 5 s timeout), but two replicas' messages can overtake each other, and
# replicas insert side by side, so an alarm with a lower id than N may commit (a few
# milliseconds) after it: a page that has seen alarm N may still lack one like that.
REPLAY_MARGIN = timedelta(seconds=10)


ORDERS = ("newest", "priority")
# Waiting for an operator: the states an acknowledgement moves on.
UNACKNOWLEDGED = (State.ACTIVE_UNACKNOWLEDGED, State.CLEARED_UNACKNOWLEDGED)
# Not closed: the alarms someone may still have to act on. Named, not "not closed", so that
# PostgreSQL can read them from the state index instead of every closed alarm ever stored.
OPEN = (State.ACTIVE_UNACKNOWLEDGED, State.ACTIVE_ACKNOWLEDGED, State.CLEARED_UNACKNOWLEDGED)


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


def alarm_newest_id() -> int:
    """The id of the newest alarm (0 for none): where a page that loaded now resumes the live feed from."""
    return Alarm.objects.order_by("-id").values_list("id", flat=True).first() or 0


def alarm_latest(*, limit: int) -> list[Alarm]:
    """The ``limit`` newest alarms, newest first."""
    return list(Alarm.objects.order_by("-id")[:limit])


@dataclass(frozen=True)
class AlarmCounts:
    """How many open alarms there are, in the header's terms (every alarm, not only the rows a page shows)."""

    open: int
    unacknowledged: int
    annunciated: int  # annunciated now: the live page's main list
    shelved: int
    out_of_service: int


def alarm_counts() -> AlarmCounts:
    """The true counts of open alarms, in one query (conditional aggregation over the open alarms).

    Closed alarms are acknowledged and neither shelved nor out of service, so every count is
    one of the open alarms: ``unacknowledged`` equals the API's ``?acknowledged=false`` count.
    """
    counted = Alarm.objects.filter(state__in=OPEN).aggregate(
        open=Count("id"),
        unacknowledged=Count("id", filter=Q(state__in=UNACKNOWLEDGED)),
        annunciated=Count("id", filter=ANNUNCIATED_NOW),
        shelved=Count("id", filter=Q(shelved_at__isnull=False)),
        out_of_service=Count("id", filter=Q(out_of_service=True)),
    )
    return AlarmCounts(**counted)


@dataclass(frozen=True)
class AlarmGroups:
    """Annunciated alarms by building, then source, the most pressing first; ``more_buildings`` did not fit."""

    buildings: list[dict[str, Any]]
    more_buildings: int


def alarm_groups(*, buildings: int, sources: int) -> AlarmGroups:
    """The ``buildings`` most pressing buildings with alarms annunciated now, each with its ``sources`` first sources.

    Pressing: the highest priority among them, then the most unacknowledged, then the most
    alarms. One grouped query by (building, source); the building totals add up every source,
    those cut off included (``more_sources`` says how many were).
    """
    rows = (
        Alarm.objects.filter(ANNUNCIATED_NOW)
        .values("building_id", "source")
        .annotate(
            alarms=Count("id"),
            unacknowledged=Count("id", filter=Q(state__in=UNACKNOWLEDGED)),
            rank=Min(priority_rank()),
        )
        .order_by()
    )
    found: dict[int, dict[str, Any]] = {}
    for row in rows:
        group = found.setdefault(
            row["building_id"],
            {"building_id": row["building_id"], "alarms": 0, "unacknowledged": 0, "rank": len(RANK), "sources": []},
        )
        group["alarms"] += row["alarms"]
        group["unacknowledged"] += row["unacknowledged"]
        group["rank"] = min(group["rank"], row["rank"])
        group["sources"].append({key: row[key] for key in ("alarms", "unacknowledged", "rank")})
        group["sources"][-1]["source"] = row["source"] or ""
    shown = sorted(found.values(), key=lambda group: (*_pressing(group), group["building_id"]))[:buildings]
    for group in shown:
        group["sources"].sort(key=lambda source: (*_pressing(source), source["source"]))
        group["more_sources"] = max(0, len(group["sources"]) - sources)
        del group["sources"][sources:]
    return AlarmGroups(buildings=shown, more_buildings=max(0, len(found) - buildings))


def _pressing(group: dict[str, Any]) -> tuple[int, int, int]:
    return group["rank"], -group["unacknowledged"], -group["alarms"]


def alarm_live_window(*, queryset: QuerySet[Alarm], limit: int) -> list[Alarm]:
    """The first ``limit`` of ``queryset`` (the live page's filters applied) in the page's order: by priority."""
    return list(alarm_ordered(queryset, order="priority")[:limit])


def assignable_usernames(*, limit: int) -> list[str]:
    """Usernames an alarm may be assigned to (active users), alphabetical, for the page's choice."""
    users = get_user_model().objects.filter(is_active=True).order_by("username")
    return list(users.values_list("username", flat=True)[:limit])


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
