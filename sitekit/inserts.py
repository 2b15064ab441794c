"""Idempotent bulk inserts that say which rows they inserted, in one statement.

``bulk_create(ignore_conflicts=True)`` cannot tell new rows from known ones, so callers
had to read the batch back, and to know which of those they had inserted themselves, they
had to keep other writers out meanwhile. On PostgreSQL one ``INSERT ... SELECT FROM
json_to_recordset(...) ON CONFLICT DO NOTHING RETURNING`` does all of it: one round trip, no
lock, and the rows returned are exactly those this statement inserted, in the order given.
The rows travel as one JSON document (or, for values JSON cannot carry exactly, one array per
column through ``unnest``).

Elsewhere (SQLite, the run command's fallback when no PostgreSQL answers) the same result
comes from a short transaction, so callers never ask which database they are on.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Sequence
from typing import Any, TypeVar

import orjson
from django.db import connections, models, router, transaction
from django.db.models.expressions import DatabaseDefault, Expression

M = TypeVar("M", bound=models.Model)


def insert_new(model: type[M], objects: Sequence[M], *, unique_field: str) -> list[M]:
    """Insert ``objects``, skipping those whose ``unique_field`` is already stored; returns the inserted ones.

    The result is in the order of ``objects`` (ids follow it). The objects returned are the
    ones given, saved as ``bulk_create`` leaves them: primary key set, values as given. A
    column the database fills with an expression is read back into them. Objects repeating
    a value of ``unique_field`` are inserted once (the first of them).
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
    fields, params, filled = _columns(meta, objects, connection)
    unique = meta.get_field(unique_field)
    # Only what the objects do not hold yet comes back: the id, the key that tells which
    # object a row is, and columns the database computed. Reading every column back into
    # new instances cost more than the INSERT itself.
    returned = [meta.pk, unique, *filled]
    quote = connection.ops.quote_name
    rows_sql, rows_params = _rows_as_json(fields, params, connection) or _rows_as_arrays(fields, params, connection)
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(field.column) for field in fields)}) "
        f"SELECT * FROM {rows_sql} "
        f"ON CONFLICT ({quote(unique.column)}) DO NOTHING "
        f"RETURNING {', '.join(quote(field.column) for field in returned)}"
    )
    # The key as sent, prepared once with the rest of its column, is what RETURNING gives back.
    keys = params[fields.index(unique)] if unique in fields else [unique.pre_save(obj, True) for obj in objects]
    first_by_key: dict[Any, M] = {}
    for key, obj in zip(keys, objects, strict=True):
        first_by_key.setdefault(key, obj)
    with connection.cursor() as cursor:
        cursor.execute(sql, rows_params)
        rows = cursor.fetchall()
    converters = [connection.ops.get_db_converters(field) + field.get_db_converters(connection) for field in filled]
    inserted = []
    for pk, key, *values in rows:
        obj = first_by_key[key]
        obj.pk = pk
        for field, functions, value in zip(filled, converters, values, strict=True):
            for convert in functions:
                value = convert(value, field, connection)
            setattr(obj, field.attname, value)
        obj._state.adding, obj._state.db = False, connection.alias
        inserted.append(obj)
    return sorted(inserted, key=lambda obj: obj.pk)


# Prepared values that orjson writes as PostgreSQL reads them back, value for value. A float is
# not one (orjson writes NaN as null), nor an adapter object (a JSON field's), nor a Decimal.
_JSON_NATIVE = frozenset({str, int, bool, type(None), uuid.UUID, datetime.datetime, datetime.date})


def _rows_as_json(fields: list[Any], params: list[list[Any]], connection: Any) -> tuple[str, list[str]] | None:
    """The rows as one JSON document that ``json_to_recordset`` types column by column; None when they cannot be.

    orjson writes a batch in one call; psycopg adapting every value of every column array in
    Python cost more than the rest of preparing the batch.
    """
    if any(type(value) not in _JSON_NATIVE and not _text_or_number(value) for column in params for value in column):
        return None
    names = [field.column for field in fields]
    try:
        document = orjson.dumps([dict(zip(names, row, strict=True)) for row in zip(*params, strict=True)])
    except orjson.JSONEncodeError:  # an integer beyond 64 bits, a string that is not UTF-8
        return None
    quote = connection.ops.quote_name
    typed = ", ".join(f"{quote(field.column)} {field.db_type(connection)}" for field in fields)
    return f"json_to_recordset(%s::json) AS row({typed})", [document.decode()]


def _text_or_number(value: Any) -> bool:
    """A ``str`` or ``int`` of a subclass (a ``TextChoices`` member): both sides write its plain value."""
    return isinstance(value, str | int)


def _rows_as_arrays(fields: list[Any], params: list[list[Any]], connection: Any) -> tuple[str, list[list[Any]]]:
    """The rows as one array per column, that ``unnest`` zips back into rows."""
    arrays = ", ".join(f"%s::{field.db_type(connection)}[]" for field in fields)
    return f"unnest({arrays})", params


def _columns(meta: Any, objects: Sequence[M], connection: Any) -> tuple[list[Any], list[list[Any]], list[Any]]:
    """The columns to send and each one's prepared values, in the order of ``objects``; and those to read back.

    A column the database fills by itself is left out: one NULL in every row, or its plain
    ``db_default`` in every row. A value shared by many rows (one batch's receipt time) is
    prepared once: preparing values in Python, a datetime's especially, is most of the cost
    of a batch.
    """
    fields, params, computed = [], [], []
    for field in meta.concrete_fields:
        if field.primary_key:
            continue
        raw = [field.pre_save(obj, True) for obj in objects]
        if _database_fills(field, raw):
            if field.has_db_default() and any(isinstance(value, DatabaseDefault) for value in raw):
                computed.append(field)  # the objects do not know the value: read it back
            continue
        prepared: dict[tuple[type, Any], Any] = {}
        as_is = _STORED_AS_IS.get(type(field), ())
        column = []
        for value in raw:
            if type(value) in as_is and (type(value) is not datetime.datetime or value.utcoffset() is not None):
                column.append(value)
                continue
            try:
                key = (type(value), value)
                column.append(prepared[key])
            except KeyError:
                column.append(prepared.setdefault(key, field.get_db_prep_save(value, connection)))
            except TypeError:  # unhashable (a JSON value): prepared each time
                column.append(field.get_db_prep_save(value, connection))
        fields.append(field)
        params.append(column)
    return fields, params, computed


# Values PostgreSQL takes as they are, by exact field class: preparing them (``get_db_prep_save``)
# gives back the same value. An aware datetime only; a naive one is made aware on the way.
_STORED_AS_IS: dict[type, tuple[type, ...]] = {
    **dict.fromkeys((models.CharField, models.TextField), (str,)),
    **dict.fromkeys(
        (
            models.IntegerField,
            models.BigIntegerField,
            models.SmallIntegerField,
            models.PositiveIntegerField,
            models.PositiveBigIntegerField,
            models.PositiveSmallIntegerField,
        ),
        (int,),
    ),
    models.BooleanField: (bool,),
    models.UUIDField: (uuid.UUID,),
    models.DateTimeField: (datetime.datetime,),
}


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
