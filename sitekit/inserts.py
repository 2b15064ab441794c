"""Idempotent bulk inserts that say which rows they inserted, in one statement.

``bulk_create(ignore_conflicts=True)`` cannot tell new rows from known ones, so callers
had to read the batch back, and to know which of those they had inserted themselves, they
had to keep other writers out meanwhile. On PostgreSQL one ``INSERT ... SELECT FROM
unnest(...) ON CONFLICT DO NOTHING RETURNING`` does all of it: one round trip, no lock, and
the rows returned are exactly those this statement inserted, in the order given.

Elsewhere (SQLite, the run command's fallback when no PostgreSQL answers) the same result
comes from a short transaction, so callers never ask which database they are on.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from django.db import connections, models, router, transaction
from django.db.models.expressions import DatabaseDefault, Expression

M = TypeVar("M", bound=models.Model)


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
    if connection.vendor != "postgresql":
        return _insert_new_then_read(model, objects, unique_field=unique_field, using=connection.alias)
    fields, params = _columns(meta, objects, connection)
    quote = connection.ops.quote_name
    arrays = ", ".join(f"%s::{field.db_type(connection)}[]" for field in fields)
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(field.column) for field in fields)}) "
        f"SELECT * FROM unnest({arrays}) "
        f"ON CONFLICT ({quote(meta.get_field(unique_field).column)}) DO NOTHING "
        f"RETURNING {', '.join(quote(field.column) for field in meta.concrete_fields)}"
    )
    return sorted(model.objects.db_manager(connection.alias).raw(sql, params), key=lambda obj: obj.pk)


def _columns(meta: Any, objects: Sequence[M], connection: Any) -> tuple[list[Any], list[list[Any]]]:
    """The columns to send and each one's prepared values, in the order of ``objects``.

    A column the database fills by itself is left out: one NULL in every row, or its plain
    ``db_default`` in every row. A value shared by many rows (one batch's receipt time) is
    prepared once: preparing values in Python, a datetime's especially, is most of the cost
    of a batch.
    """
    fields, params = [], []
    for field in meta.concrete_fields:
        if field.primary_key:
            continue
        raw = [field.pre_save(obj, True) for obj in objects]
        if _database_fills(field, raw):
            continue
        prepared: dict[tuple[type, Any], Any] = {}
        column = []
        for value in raw:
            try:
                key = (type(value), value)
                column.append(prepared[key])
            except KeyError:
                column.append(prepared.setdefault(key, field.get_db_prep_save(value, connection)))
            except TypeError:  # unhashable (a JSON value): prepared each time
                column.append(field.get_db_prep_save(value, connection))
        fields.append(field)
        params.append(column)
    return fields, params


def _database_fills(field: Any, raw: list[Any]) -> bool:
    """Whether leaving ``field`` out of the INSERT stores exactly ``raw`` in every row."""
    if field.has_db_default():
        default = field.db_default
        if isinstance(default, Expression):
            return all(isinstance(value, DatabaseDefault) for value in raw)
        return all(isinstance(value, DatabaseDefault) or _same(value, default) for value in raw)
    return field.null and all(value is None for value in raw)


def _same(value: Any, default: Any) -> bool:
    """Equal, and not merely as ``True == 1`` is."""
    return isinstance(value, bool) == isinstance(default, bool) and value == default


def _insert_new_then_read(model: type[M], objects: Sequence[M], *, unique_field: str, using: str) -> list[M]:
    """``insert_new`` for SQLite: insert what is new, then read back the rows above the highest id before.

    SQLite lets one writer in at a time from the start of a transaction (the sites open them
    IMMEDIATE), so whatever lies above the highest id seen inside it was inserted here.
    """
    manager = model.objects.db_manager(using)
    with transaction.atomic(using=using):
        highest_before = manager.order_by("-pk").values_list("pk", flat=True).first() or 0
        manager.bulk_create(objects, ignore_conflicts=True)
        values = [getattr(obj, model._meta.get_field(unique_field).attname) for obj in objects]
        return list(manager.filter(**{f"{unique_field}__in": values}, pk__gt=highest_before).order_by("pk"))
