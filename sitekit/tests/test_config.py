"""Settings helpers and route tables refuse bad configuration at start-up."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.core.exceptions import ImproperlyConfigured
from rest_framework import serializers

from sitekit.env import env_bool, env_choice, env_int, env_list
from sitekit.fields import StrictCharField, StrictDateTimeField, StrictIntegerField, StrictUUIDField


def test_it_reads_typed_environment_values(monkeypatch):
    monkeypatch.setenv("X_BOOL", "yes")
    monkeypatch.setenv("X_INT", "12")
    monkeypatch.setenv("X_LIST", "a, b,,c")
    assert env_bool("X_BOOL", False) is True
    assert env_int("X_INT", 1, minimum=1) == 12
    assert env_list("X_LIST", []) == ["a", "b", "c"]
    assert env_int("X_UNSET", 5) == 5


@pytest.mark.parametrize(
    ("name", "value", "reader"),
    [
        ("X_BOOL", "maybe", lambda: env_bool("X_BOOL", False)),
        ("X_INT", "ten", lambda: env_int("X_INT", 1)),
        ("X_INT", "0", lambda: env_int("X_INT", 1, minimum=1)),
        ("X_WIRE", "nest", lambda: env_choice("X_WIRE", "plain", ("plain", "nestjs"))),
    ],
)
def test_it_refuses_malformed_environment_values(monkeypatch, name, value, reader):
    monkeypatch.setenv(name, value)
    with pytest.raises(ImproperlyConfigured):
        reader()


class Payload(serializers.Serializer):
    name = StrictCharField()
    count = StrictIntegerField()


def test_strict_fields_refuse_the_wrong_json_types():
    assert not Payload(data={"name": 123, "count": "1"}).is_valid()
    assert not Payload(data={"name": "x", "count": True}).is_valid()
    assert not Payload(data={"name": "x", "count": 1.5}).is_valid()
    assert Payload(data={"name": "x", "count": 1}).is_valid()


class Stamped(serializers.Serializer):
    id = StrictUUIDField()
    at = StrictDateTimeField(earliest=datetime(2000, 1, 1, tzinfo=UTC))


def test_strict_uuid_and_datetime_fields_take_only_strings_and_sane_dates():
    def errors(**data) -> dict:
        serializer = Stamped(data={"id": "0b7c2a52-43f4-4c3f-9a52-2f1f5c9d8e11", "at": "2025-05-01T10:00:00Z", **data})
        serializer.is_valid()
        return serializer.errors

    assert errors() == {}
    assert set(errors(id=12345)) == {"id"}
    assert set(errors(at=1714557600)) == {"at"}
    assert errors(at="1999-12-31T23:59:59Z") == {"at": ["Must be after 2000-01-01."]}
