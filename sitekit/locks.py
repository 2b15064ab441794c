"""Locks a transaction holds until it ends, whatever the database."""

from __future__ import annotations

from django.db import DEFAULT_DB_ALIAS, connections


def hold_transaction_lock(key: int, *, using: str = DEFAULT_DB_ALIAS) -> None:
    """Wait for, then hold until commit or rollback, the lock named ``key``; call inside a transaction.

    PostgreSQL takes an advisory lock. SQLite (the run command's fallback) needs none: it
    already lets one writer in at a time, from the start of each transaction.
    """
    connection = connections[using]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])
