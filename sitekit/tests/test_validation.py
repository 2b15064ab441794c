"""QuickValidation accepts exactly what DRF accepts, with DRF's validated data, and leaves every refusal to DRF.

Each serializer below is run on a few values per field (valid ones, boundaries, blanks,
nulls, wrong JSON types, the field left out), one field at a time and in random mixes,
beside DRF's own ``run_validation`` on a fresh instance.
"""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers
from rest_framework.exceptions import ValidationError

from sitekit.fields import StrictCharField, StrictDateTimeField, StrictIntegerField, StrictUUIDField
from sitekit.peer_events import WorkflowStatusChangedSerializer
from sitekit.validation import QuickValidation

LEFT_OUT = object()
WRONG_TYPES = [LEFT_OUT, None, 7, 1.5, True, "", "  ", [], {}, "x" * 201]


class Event(serializers.Serializer):
    id = StrictUUIDField()
    name = StrictCharField(min_length=1, max_length=200, trim_whitespace=True)
    note = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False, max_length=5)
    buildingId = StrictIntegerField(min_value=1, max_value=10, source="building_id")  # noqa: N815 - wire name
    severity = serializers.ChoiceField(choices=["minor", "major"], default="minor")
    level = serializers.ChoiceField(choices=[1, 2], required=False, allow_null=True)
    at = StrictDateTimeField(earliest=datetime(2000, 1, 1, tzinfo=UTC), required=False)
    urgent = serializers.BooleanField(required=False)
    shown = serializers.CharField(read_only=True, default="never validated")


class WithHooks(serializers.Serializer):
    code = StrictCharField(max_length=8)
    count = StrictIntegerField(required=False, default=lambda: 3)
    ratio = serializers.FloatField(required=False, allow_null=True)

    def validate_code(self, value: str) -> str:
        if value == "banned":
            raise serializers.ValidationError("not this one")
        return value.upper()

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs.get("count") == 4 and attrs["code"] == "FOUR":
            raise DjangoValidationError("four twice")
        return {**attrs, "checked": True}


def count_below_ten(attrs: dict[str, Any]) -> None:
    if attrs.get("count", 0) >= 10:
        raise serializers.ValidationError("count must stay below ten")


class WithValidators(serializers.Serializer):
    count = StrictIntegerField()

    class Meta:
        validators = [count_below_ten]


class Nested(serializers.Serializer):
    inner = Event()


class Listed(serializers.Serializer):
    tags = serializers.ListField(child=serializers.CharField())


class Dotted(serializers.Serializer):
    city = serializers.CharField(source="address.city")


VALUES: dict[type[serializers.Serializer], dict[str, list[Any]]] = {
    Event: {
        "id": [str(uuid.UUID(int=5)), "{" + str(uuid.UUID(int=6)) + "}", uuid.UUID(int=7).hex, "not-a-uuid", 12],
        "name": ["Fire", " padded ", *WRONG_TYPES],
        "note": [LEFT_OUT, "", " a ", "toolong", None],
        "buildingId": [1, 10, 11, 0, "3", True, 2.0, LEFT_OUT],
        "severity": ["major", "", "critical", LEFT_OUT, None, 1],
        "level": [1, "2", 3, None, LEFT_OUT],
        "at": ["2026-12-02T10:00:00.5+02:00", "2026-12-02T10:00:00", "1999-12-31T23:59:59Z", "yesterday", 0, LEFT_OUT],
        "urgent": [True, "yes", "maybe", LEFT_OUT, None],
        "shown": ["ignored", LEFT_OUT],
    },
    WithHooks: {
        "code": ["ok", "banned", "four", " spaced ", "", "far too long", LEFT_OUT, None],
        "count": [4, 5, LEFT_OUT, None, "4"],
        "ratio": [0.5, "0.25", None, LEFT_OUT, "nan-ish"],
    },
    WorkflowStatusChangedSerializer: {
        "id": [str(uuid.UUID(int=9)), 9],
        "workflowId": [1, 0, 2**63, LEFT_OUT],
        "buildingId": [3, "3"],
        "kind": ["maintenance", "other", LEFT_OUT],
        "name": ["W", "", None],
        "status": ["active", "done"],
        "previousStatus": [None, "new", "x", LEFT_OUT],
        "version": [1, 2_147_483_648],
        "changedAt": ["2026-12-02T10:00:00Z", "2026-12-02", 5],
    },
    WithValidators: {"count": [1, 9, 10, 12, "1", LEFT_OUT]},
}


def payloads(values: dict[str, list[Any]], *, mixed: int = 1_500):
    """Each value of each field with the others at their first (valid) value, then ``mixed`` random mixes."""
    base = {name: options[0] for name, options in values.items()}
    for name, options in values.items():
        for value in options:
            yield given({**base, name: value})
    chooser = random.Random(17)
    for _ in range(mixed):
        yield given({name: chooser.choice(options) for name, options in values.items()})


def given(values: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in values.items() if value is not LEFT_OUT}


def drf_outcome(serializer_class: type[serializers.Serializer], data: dict[str, Any]) -> tuple[str, Any]:
    try:
        return "accepted", dict(serializer_class().run_validation(data))
    except ValidationError as error:
        return "refused", error.detail


def test_it_accepts_what_drf_accepts_with_the_same_data_and_asks_drf_about_the_rest():
    for serializer_class, values in VALUES.items():
        quick = QuickValidation(serializer_class())
        assert quick.applies, serializer_class
        seen = {"accepted": 0, "refused": 0}
        for data in payloads(values):
            outcome, result = drf_outcome(serializer_class, data)
            seen[outcome] += 1
            validated = quick(data)
            if outcome == "accepted":
                assert validated == result, (serializer_class.__name__, data)
                assert [type(v) for v in validated.values()] == [type(v) for v in result.values()]
            else:
                assert validated is None, (serializer_class.__name__, data, result)
        assert seen["accepted"] > 0 and seen["refused"] > 0, (serializer_class.__name__, seen)


def test_serializers_that_change_how_drf_validates_are_left_to_drf_whole():
    for serializer_class in (Nested, Listed, Dotted):
        quick = QuickValidation(serializer_class())
        assert not quick.applies, serializer_class
        assert quick({}) is None


def test_a_partial_serializer_is_left_to_drf():
    assert not QuickValidation(Event(partial=True)).applies


def test_hooks_see_converted_values_and_their_results_are_kept():
    quick = QuickValidation(WithHooks())

    assert quick({"code": "ok"}) == {"code": "OK", "count": 3, "checked": True}
    assert quick({"code": "four", "count": 4}) is None
    assert quick({"code": "banned"}) is None
