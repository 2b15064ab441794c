"""The buildings' read model of the other services: open workflows and open alarms per building.

Fed by durable events only (``workflow.status_changed``, ``alarms.open_counts``), so the
buildings site never reads another site's database nor waits on another service to show a
building. Each figure is as fresh as the last event: with a service down it stays at what
that service last reported, and catches up from the stream when it is back. Redelivered or
late events change nothing: workflows by their ``version``, alarm counts by their ``asOf``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import connections, router, transaction
from django.db.models import Case, Count, IntegerField, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Coalesce

from buildings_site.buildings.models import Building, WorkflowSeen

OPEN_STATUSES = ("new", "active")


@transaction.atomic
def workflows_seen_apply(events: list[dict[str, Any]]) -> None:
    """Record each workflow's newest announced state, then recount the open workflows of the buildings touched.

    The buildings' rows are locked first, so two bridges applying events of one building at
    once count one after the other, each seeing what the other committed.
    """
    latest: dict[int, dict[str, Any]] = {}
    for event in events:
        held = latest.get(event["workflow_id"])
        if held is None or event["version"] > held["version"]:
            latest[event["workflow_id"]] = event
    if not latest:
        return
    building_ids = sorted({event["building_id"] for event in latest.values()})
    list(Building.objects.select_for_update().filter(pk__in=building_ids).order_by("pk").values_list("pk", flat=True))
    _upsert_newer(latest.values())
    buildings_recount_workflows(building_ids)


def buildings_recount_workflows(building_ids: Iterable[int]) -> None:
    """``open_workflows`` of these buildings, from the workflows seen."""
    open_count = (
        WorkflowSeen.objects.filter(building_id=OuterRef("pk"), status__in=OPEN_STATUSES)
        .order_by()
        .values("building_id")
        .annotate(count=Count("pk"))
        .values("count")
    )
    Building.objects.filter(pk__in=list(building_ids)).update(
        open_workflows=Coalesce(Subquery(open_count, output_field=IntegerField()), Value(0))
    )


# Buildings set per UPDATE: one statement instead of one per building, and a CASE short
# enough that PostgreSQL's search through it costs little.
COUNTS_PER_UPDATE = 200


def alarm_counts_apply(events: list[dict[str, Any]]) -> None:
    """Set each reported building's ``open_alarms``, unless a later count is stored already."""
    for event in sorted(events, key=lambda event: event["as_of"]):
        as_of = event["as_of"]
        newer = Q(alarms_counted_at__isnull=True) | Q(alarms_counted_at__lt=as_of)
        counts: dict[int, int] = {}
        for count in event["counts"]:
            counts.setdefault(count["building_id"], count["open_alarms"])  # a building named twice: its first count
        ids = sorted(counts)
        for start in range(0, len(ids), COUNTS_PER_UPDATE):
            chunk = ids[start : start + COUNTS_PER_UPDATE]
            Building.objects.filter(newer, pk__in=chunk).update(
                open_alarms=Case(*(When(pk=pk, then=Value(counts[pk])) for pk in chunk), output_field=IntegerField()),
                alarms_counted_at=as_of,
            )


def _upsert_newer(events: Iterable[dict[str, Any]]) -> None:
    """Insert each workflow's state, or replace it when the event's version is newer (one statement)."""
    rows = [(e["workflow_id"], e["building_id"], e["status"], e["version"]) for e in events]
    connection = connections[router.db_for_write(WorkflowSeen)]
    table = connection.ops.quote_name(WorkflowSeen._meta.db_table)
    values = ", ".join(["(%s, %s, %s, %s)"] * len(rows))
    sql = (
        f"INSERT INTO {table} (workflow_id, building_id, status, version) VALUES {values} "
        f"ON CONFLICT (workflow_id) DO UPDATE SET status = excluded.status, version = excluded.version "
        f"WHERE {table}.version < excluded.version"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [value for row in rows for value in row])
