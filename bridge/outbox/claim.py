"""Claiming due outbox messages: the relay's first step on every pass, in every replica.

A claim takes the messages due, oldest first, that no other replica holds, and leases them
(their next attempt moves past the time a send takes) with their attempt counted, so a
replica that dies mid-send leaves them to be claimed again when the lease runs out. Under
``workflows.create`` load this runs for every batch of announced events, and written with
the ORM it was a locking ``SELECT``, an ``UPDATE`` and a ``bulk_update`` (a ``CASE`` per
message, compiled by Django): 30 % of a workflows bridge's CPU. On PostgreSQL it is one
statement.
"""

from __future__ import annotations

from typing import Any

from django.db import connections, router, transaction
from django.db.models import F
from django.utils import timezone

from bridge.outbox.models import OutboxMessage
from bridge.outbox.services import lease_duration
from sitekit.rows import ModelRows

_ROWS = ModelRows(OutboxMessage)


def outbox_claim_due(*, limit: int) -> list[OutboxMessage]:
    """Lease up to ``limit`` due messages to this process (other replicas skip them), the longest due first.

    The instances hold what is stored once claimed: the attempt counted, the lease's end as
    ``next_attempt_at``.
    """
    now = timezone.now()
    leased_until = now + lease_duration()
    connection = connections[router.db_for_write(OutboxMessage)]
    if connection.vendor != "postgresql":
        return _claim_with_orm(now=now, leased_until=leased_until, limit=limit, using=connection.alias)
    with connection.cursor() as cursor:
        adapt = connection.ops.adapt_datetimefield_value
        cursor.execute(_claim_statement(connection), [adapt(now), limit, adapt(leased_until)])
        rows = sorted(cursor.fetchall(), key=lambda row: (row[0], row[1]))  # due at, then id
    return _ROWS.instances(connection, (row[1:] for row in rows))


def _claim_statement(connection: Any) -> str:
    """Pick (skipping rows another replica has locked), lease and count, returning each row with when it was due."""
    meta = OutboxMessage._meta
    quote = connection.ops.quote_name
    table = quote(meta.db_table)

    def column(name: str) -> str:
        return quote(meta.get_field(name).column)

    pk, due_at = column("id"), column("next_attempt_at")
    return (
        f"WITH due AS (SELECT {pk}, {due_at} FROM {table} "
        f"WHERE {column('delivered_at')} IS NULL AND {column('failed_at')} IS NULL AND {due_at} <= %s "
        f"ORDER BY {due_at} LIMIT %s FOR UPDATE SKIP LOCKED) "
        f"UPDATE {table} SET {due_at} = %s, {column('attempts')} = {table}.{column('attempts')} + 1 "
        f"FROM due WHERE {table}.{pk} = due.{pk} "
        f"RETURNING due.{due_at}, {_ROWS.columns(connection, table=table)}"
    )


def _claim_with_orm(*, now: Any, leased_until: Any, limit: int, using: str) -> list[OutboxMessage]:
    """The same claim on a database without ``UPDATE ... RETURNING`` from a join (SQLite, one writer at a time)."""
    with transaction.atomic(using=using):
        messages = list(
            OutboxMessage.objects.using(using)
            .select_for_update(skip_locked=True)
            .filter(delivered_at__isnull=True, failed_at__isnull=True, next_attempt_at__lte=now)
            .order_by("next_attempt_at", "id")[:limit]
        )
        if messages:
            OutboxMessage.objects.using(using).filter(pk__in=[message.pk for message in messages]).update(
                next_attempt_at=leased_until, attempts=F("attempts") + 1
            )
    for message in messages:
        message.attempts += 1
        message.next_attempt_at = leased_until
    return messages
