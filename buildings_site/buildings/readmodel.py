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
from django.db.models import Case, IntegerField, Q, Value, When

from buildings_site.buildings.models import Building, WorkflowSeen
from sitekit.sql import placeholders

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
    connection = connections[router.db_for_write(Building)]
    _lock_buildings(connection, building_ids)
    _upsert_newer(latest.values())
    _recount_workflows(connection, building_ids)


# The two statements below run for every batch of ``workflow.status_changed`` (one per
# creation): written out, as the ORM compiling them each time was about a sixth of the
# buildings bridge's CPU while workflows were created.


def _lock_buildings(connection: Any, building_ids: list[int]) -> None:
    """Lock these buildings' rows, in id order (SQLite, one writer at a time, needs no lock)."""
    if not connection.features.has_select_for_update:
        return
    quote = connection.ops.quote_name
    pk = quote(Building._meta.pk.column)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {pk} FROM {quote(Building._meta.db_table)} WHERE {pk} IN ({placeholders(building_ids)}) "
            f"ORDER BY {pk} FOR UPDATE",
            building_ids,
        )


def _recount_workflows(connection: Any, building_ids: list[int]) -> None:
    """``open_workflows`` of these buildings, from the workflows seen."""
    quote = connection.ops.quote_name
    buildings, seen = quote(Building._meta.db_table), quote(WorkflowSeen._meta.db_table)
    pk = quote(Building._meta.pk.column)
    seen_building, seen_status = (
        quote(WorkflowSeen._meta.get_field(name).column) for name in ("building_id", "status")
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {buildings} SET {quote(Building._meta.get_field('open_workflows').column)} = "
            f"(SELECT COUNT(*) FROM {seen} WHERE {seen}.{seen_building} = {buildings}.{pk} "
            f"AND {seen}.{seen_status} IN ({placeholders(OPEN_STATUSES)})) "
            f"WHERE {pk} IN ({placeholders(building_ids)})",
            [*OPEN_STATUSES, *building_ids],
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
