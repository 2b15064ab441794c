"""Validating a payload DRF accepts, without DRF's per-field machinery around each check.

``Serializer.run_validation`` spends most of its time around the checks, not in them: per
field it looks up a ``validate_<name>`` method, reads the value through ``get_value``, runs
``validate_empty_values``, collects the validators' errors in lists, catches ``SkipField``;
for an event of nine fields that is about 25 µs, of which the fields' own conversions
(``to_internal_value``) and validators are 7. Every event a bridge stores, and every reply
it reads, pays it.

``QuickValidation`` runs the same steps in the same order with the same objects (each
field's ``to_internal_value``, its validators, the serializer's ``validate_<name>``
methods, its validators and ``validate``) and gives up at the first step that would fail:
then, and for every payload it cannot be sure of, the caller runs DRF, which makes the same
decision and words the errors. So a payload passes here exactly when it passes DRF, with
the same validated data, and every refusal is DRF's own. Serializers or fields that change
how DRF validates (their own ``run_validation``, ``validate_empty_values`` or
``get_value``: nested serializers, list and dict fields) are left to DRF whole.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.fields import CharField, Field, SkipField, empty


class _AskDrf(Exception):
    """A step DRF would refuse (or handle its own way): DRF decides, and words the error."""


_GIVE_UP = (ValidationError, DjangoValidationError, SkipField, _AskDrf)

# (wire name, source key, field, DRF's blank check applies, validators, validate_<name> method)
_Step = tuple[str, str, Field, bool, list[Any], Callable[[Any], Any] | None]


class QuickValidation:
    """What ``serializer.run_validation(data)`` returns for a mapping it accepts; None when DRF must decide."""

    def __init__(self, serializer: serializers.Serializer) -> None:
        self.serializer = serializer
        self.steps = _steps(serializer)
        cls = type(serializer)
        self._validate = None if cls.validate is serializers.Serializer.validate else serializer.validate

    @property
    def applies(self) -> bool:
        """False when this serializer is always left to DRF."""
        return self.steps is not None

    def __call__(self, data: dict[str, Any]) -> dict[str, Any] | None:
        if self.steps is None:
            return None
        try:
            validated = self._fields(data, self.steps)
            if self.serializer.validators:
                self.serializer.run_validators(validated)
            if self._validate is not None:
                validated = self._validate(validated)
        except _GIVE_UP:
            return None
        return validated if isinstance(validated, dict) else None

    @staticmethod
    def _fields(data: dict[str, Any], steps: list[_Step]) -> dict[str, Any]:
        validated: dict[str, Any] = {}
        for name, key, field, blank_check, validators, validate_method in steps:
            value = data.get(name, empty)
            if value is empty:
                if field.required:
                    raise _AskDrf  # "This field is required."
                try:
                    converted = field.get_default()
                except SkipField:  # no default: DRF leaves the key out
                    continue
            elif value is None:
                if not field.allow_null:
                    raise _AskDrf  # "This field may not be null."
                converted = None
            else:
                converted = _converted(field, value, blank_check, validators)
            validated[key] = converted if validate_method is None else validate_method(converted)
        return validated


def _converted(field: Field, value: Any, blank_check: bool, validators: list[Any]) -> Any:
    """A given value as ``field.run_validation`` makes it, the blank check of ``CharField`` included."""
    if blank_check and (value == "" or (field.trim_whitespace and str(value).strip() == "")):
        if not field.allow_blank:
            raise _AskDrf  # "This field may not be blank."
        return ""
    converted = field.to_internal_value(value)
    for validator in validators:
        if getattr(validator, "requires_context", False):
            validator(converted, field)
        else:
            validator(converted)
    return converted


def _steps(serializer: serializers.Serializer) -> list[_Step] | None:
    """Each writable field's step, in DRF's order; None when DRF's way of validating is changed anywhere."""
    cls = type(serializer)
    base = serializers.Serializer
    if (
        cls.run_validation is not base.run_validation
        or cls.to_internal_value is not base.to_internal_value
        or cls.run_validators is not base.run_validators
        or cls.validate_empty_values is not base.validate_empty_values
        or getattr(serializer, "partial", False)
    ):
        return None
    steps: list[_Step] = []
    for field in serializer.fields.values():
        if field.read_only:
            continue
        kind = type(field)
        if (
            kind.get_value is not Field.get_value
            or kind.validate_empty_values is not Field.validate_empty_values
            or kind.run_validators is not Field.run_validators
            or kind.run_validation not in (Field.run_validation, CharField.run_validation)
            or field.source == "*"
            or len(field.source_attrs) != 1
        ):
            return None
        blank_check = kind.run_validation is CharField.run_validation
        method = getattr(serializer, "validate_" + field.field_name, None)
        steps.append((field.field_name, field.source_attrs[0], field, blank_check, list(field.validators), method))
    return steps
