"""Rows a hand-written statement read, made into model instances as the ORM makes them.

A statement the ORM cannot write (``UPDATE ... RETURNING``), or one too hot to compile on
every call, still has to give back what a queryset gives: instances whose values went
through each field's ``from_db_value`` and the backend's converters, built with
``Model.from_db`` (so they are "from the database", not new). ``ModelRows`` works that out
once per database and applies it to each row.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Generic, TypeVar

from django.db import models

M = TypeVar("M", bound=models.Model)

Converters = list[tuple[int, list[Any], Any]]


class ModelRows(Generic[M]):
    """Every concrete column of ``model``, in field order, and the instances rows of them make."""

    def __init__(self, model: type[M]) -> None:
        self.model = model
        self._fields = list(model._meta.concrete_fields)
        self._names = [field.attname for field in self._fields]
        self._converters: dict[str, Converters] = {}

    def columns(self, connection: Any, *, table: str = "") -> str:
        """The quoted column list to select (or return), each qualified with ``table`` when given."""
        quote = connection.ops.quote_name
        prefix = f"{table}." if table else ""
        return ", ".join(prefix + quote(field.column) for field in self._fields)

    def instance(self, connection: Any, row: Sequence[Any]) -> M:
        """One row of ``columns()`` as an instance, converted as the ORM converts what it reads."""
        values = list(row)
        for index, functions, column in self._converters_for(connection):
            for convert in functions:
                values[index] = convert(values[index], column, connection)
        return self.model.from_db(connection.alias, self._names, values)

    def instances(self, connection: Any, rows: Iterable[Sequence[Any]]) -> list[M]:
        """``instance`` for each row, in order."""
        return [self.instance(connection, row) for row in rows]

    def _converters_for(self, connection: Any) -> Converters:
        converters = self._converters.get(connection.alias)
        if converters is None:
            table = self.model._meta.db_table
            converters = []
            for index, field in enumerate(self._fields):
                column = field.get_col(table)
                functions = field.get_db_converters(connection) + connection.ops.get_db_converters(column)
                if functions:
                    converters.append((index, functions, column))
            self._converters[connection.alias] = converters
        return converters
