"""Idempotent bulk inserts that say which rows they inserted, in one statement.

``bulk_create(ignore_conflicts=True)`` cannot tell new rows from known ones, so callers
had to read the batch back, and to know which of those they had inserted themselves, they
had to keep other writers out meanwhile. On PostgreSQL one ``INSERT ... SELECT FROM
unnest(...) ON CONFLICT DO NOTHING RETURNING`` does all of it: one round trip, no lock, and
the rows returned are exactly those this statement inserted, in the order given.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from django.db import DEFAULT_DB_ALIAS, connections, models, router

M = TypeVar("M", bound=models.Model)


def can_insert_new() -> bool:
    """Whether ``insert_new`` works on this database (PostgreSQL; the SQLite fallback does without)."""
    return connections[DEFAULT_DB_ALIAS].vendor == "postgresql"


def insert_new(model: type[M], objects: Sequence[M], *, unique_field: str) -> list[M]:
    """Insert ``objects``, skipping those whose ``unique_field`` is already stored; returns the inserted ones.

    The result is in the order of ``objects`` (ids follow it), with every column as stored.
    Objects repeating a value of ``unique_field`` are inserted once (the first of them).
    """
    if not objects:
        return []
    meta = model._meta
    # The connection itself, not the ``django.db.connection`` proxy: preparing each value
    # reads the connection's features, and through the proxy that is a thread-local lookup
    # per value, half the cost of a batch.
    connection = connections[router.db_for_write(model)]
    fields = [field for field in meta.concrete_fields if not field.primary_key]
    quote = connection.ops.quote_name
    arrays = ", ".join(f"%s::{field.db_type(connection)}[]" for field in fields)
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(field.column) for field in fields)}) "
        f"SELECT * FROM unnest({arrays}) "
        f"ON CONFLICT ({quote(meta.get_field(unique_field).column)}) DO NOTHING "
        f"RETURNING {', '.join(quote(field.column) for field in meta.concrete_fields)}"
    )
    params = [[field.get_db_prep_save(field.pre_save(obj, True), connection) for obj in objects] for field in fields]
    return sorted(model.objects.db_manager(connection.alias).raw(sql, params), key=lambda obj: obj.pk)
