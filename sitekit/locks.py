"""Locks a transaction holds until it ends, whatever the database."""

from __future__ import annotations

from django.db import DEFAULT_DB_ALIAS, connections


def hold_transaction_lock(key: int, *, shared: bool = False, using: str = DEFAULT_DB_ALIAS) -> None:
    """Wait for, then hold until commit or rollback, the lock named ``key``; call inside a transaction.

    ``shared`` holders do not wait for each other, only for an exclusive holder (who waits for
    them all): many writers may go side by side while one rare change keeps them all out.

    PostgreSQL takes an advisory lock. SQLite (the run command's fallback) needs none: it
    already lets one writer in at a time, from the start of each transaction.
    """
    connection = connections[using]
    if connection.vendor == "postgresql":
        function = "pg_advisory_xact_lock_shared" if shared else "pg_advisory_xact_lock"
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {function}(%s)", [key])
