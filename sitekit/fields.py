"""Strict serializer fields: a JSON number is not a name, and a string is not an id.

DRF's own fields coerce (``{"name": 123}`` becomes ``"123"``), which is how the reference
implementation ended up storing numbers as names. These refuse the wrong JSON type.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from django.utils import timezone
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


class StrictUUIDField(serializers.UUIDField):
    """A UUIDField that accepts only JSON strings (DRF's own turns any integer into a UUID)."""

    def to_internal_value(self, data: Any) -> uuid.UUID:
        if not isinstance(data, str):
            self.fail("invalid", value=data)
        return super().to_internal_value(data)


class StrictDateTimeField(serializers.DateTimeField):
    """An ISO 8601 string (not a number of seconds), optionally no earlier than ``earliest``."""

    default_error_messages = {"too_early": "Must be after {earliest}."}

    def __init__(self, *, earliest: datetime | None = None, **kwargs: Any) -> None:
        # Offsets are kept and converted to the default zone; fixing the zone here spares a
        # look-up of the active one per value, a large share of validating an event.
        kwargs.setdefault("default_timezone", timezone.get_default_timezone())
        super().__init__(**kwargs)
        self.earliest = earliest

    def to_internal_value(self, value: Any) -> datetime:
        if not isinstance(value, str):
            self.fail("invalid", format="ISO 8601")
        parsed = super().to_internal_value(value)
        if self.earliest is not None and parsed < self.earliest:
            self.fail("too_early", earliest=self.earliest.date().isoformat())
        return parsed
