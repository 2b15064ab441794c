"""Strict serializer fields: a JSON number is not a name, and a string is not an id.

DRF's own fields coerce (``{"name": 123}`` becomes ``"123"``), which is how the reference
implementation ended up storing numbers as names. These refuse the wrong JSON type.
"""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

MAX_BIGINT = 2**63 - 1  # PostgreSQL bigint: a larger id must fail validation (400), not the insert (500)


class StrictCharField(serializers.CharField):
    """A CharField that accepts only JSON strings."""

    default_error_messages = {"not_a_string": "Must be a string."}

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("not_a_string")
        return super().to_internal_value(data)


class StrictIntegerField(serializers.IntegerField):
    """An IntegerField that accepts only JSON integers (not strings, floats or booleans)."""

    default_error_messages = {"not_an_integer": "Must be an integer."}

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("not_an_integer")
        return super().to_internal_value(data)
