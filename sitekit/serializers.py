"""Serializer helpers shared by every site."""

from __future__ import annotations

import datetime
import inspect
from collections.abc import Iterable, Mapping
from typing import Any

from django.db import models
from django.utils import timezone
from rest_framework import ISO_8601, serializers
from rest_framework.relations import ManyRelatedField, RelatedField
from rest_framework.settings import api_settings
from rest_framework.utils.serializer_helpers import BindingDict

# Fields whose value is not simply one attribute read: nested, computed or related objects.
_NOT_PLAIN = (serializers.BaseSerializer, serializers.SerializerMethodField, RelatedField, ManyRelatedField)

# Values a field's ``to_representation`` gives back unchanged, by the field's exact class:
# ``str(value)``, ``int(value)``, a ``bool`` among DRF's true or false values, a choice
# shown as its own string. Exact types only: a ``bool`` is an ``int`` for ``isinstance``, and
# an enum member is a ``str`` that shows as something else.
_SHOWN_AS_IS: dict[type, frozenset[type]] = {
    serializers.CharField: frozenset({str}),
    serializers.ChoiceField: frozenset({str}),
    serializers.IntegerField: frozenset({int}),
    serializers.BooleanField: frozenset({bool}),
}

Plan = list[tuple[str, str, Any, frozenset[type]]]


def _plain_plan(fields: Iterable[serializers.Field], model: type[models.Model]) -> Plan | None:
    """How to show an object by reading one attribute per field; None when some field needs DRF's path."""
    plan = []
    for field in fields:
        if field.write_only:
            continue
        attrs = field.source_attrs
        plain = (
            len(attrs) == 1
            and not isinstance(field, _NOT_PLAIN)
            and not inspect.isfunction(getattr(model, attrs[0], None))
        )
        if not plain:
            return None
        as_is = _SHOWN_AS_IS.get(type(field), frozenset())
        if isinstance(field, serializers.ChoiceField) and any(
            type(c) is not str for c in field.choice_strings_to_values.values()
        ):
            as_is = frozenset()  # a string may show as a choice of another type (``"1"`` as ``1``)
        represent = _iso_datetime(field) if type(field) is serializers.DateTimeField else field.to_representation
        plan.append((field.field_name, attrs[0], represent, as_is))
    return plan


def _iso_datetime(field: serializers.DateTimeField) -> Any:
    """``field.to_representation`` for an aware datetime shown in ISO 8601 in the field's zone, minus DRF's lookups."""
    represent = field.to_representation
    zone = getattr(field, "timezone", None)
    if zone is None:
        return represent

    def show(value: Any) -> Any:
        if type(value) is not datetime.datetime or value.utcoffset() is None:
            return represent(value)
        if getattr(field, "format", api_settings.DATETIME_FORMAT).lower() != ISO_8601:
            return represent(value)
        try:
            text = value.astimezone(zone).isoformat()
        except OverflowError:
            return represent(value)  # DRF's error for it
        return text[:-6] + "Z" if text.endswith("+00:00") else text

    return show


class OutputModelSerializer(serializers.ModelSerializer):
    """A read-only ``ModelSerializer`` for showing objects, built for speed where it is hot.

    Three costs of DRF's that buy nothing for plain model fields go away:

    - The fields are built once per class instead of once per object shown. A
      ``ModelSerializer`` rebuilds them from the model each time it is instantiated: about a
      quarter of a ``GET`` of one building. Plain model fields hold no per-request state (no
      context, no request), so one bound set serves every object, in every thread.
    - Datetimes are shown in the default time zone (``TIME_ZONE``) without DRF looking up the
      active one for every value, a third of the cost of each datetime. No site activates
      another time zone.
    - When every field reads one plain attribute (a model field or a property, no method, no
      nesting), an object is shown by reading those attributes and calling each field's own
      ``to_representation``, without DRF's generic path around it (a callable check, a
      ``Mapping`` check and exception handling per value): the alarms a bridge pushes live
      cost half as much to show.
    """

    def to_representation(self, instance: Any) -> dict[str, Any]:
        plan = self._plain_plan()
        if plan is None or isinstance(instance, Mapping):
            return super().to_representation(instance)
        shown = {}
        for name, attribute, represent, as_is in plan:
            value = getattr(instance, attribute)
            shown[name] = value if value is None or type(value) in as_is else represent(value)
        return shown

    def _plain_plan(self) -> Plan | None:
        """(name, attribute, to_representation, types shown as they are) of each field, or None; once per class."""
        cls = type(self)
        if "_plan_once" not in cls.__dict__:
            cls._plan_once = _plain_plan(self.fields.values(), self.Meta.model)
        return cls._plan_once

    @property
    def fields(self) -> BindingDict:
        cls = type(self)
        fields = cls.__dict__.get("_fields_once")
        if fields is None:
            fields = super().fields
            cls._fields_once = fields
        return fields

    def build_standard_field(self, field_name: str, model_field: models.Field) -> tuple[type, dict[str, Any]]:
        field_class, kwargs = super().build_standard_field(field_name, model_field)
        if issubclass(field_class, serializers.DateTimeField):
            kwargs["default_timezone"] = timezone.get_default_timezone()
        return field_class, kwargs


class QuerySerializer(serializers.Serializer):
    """A query string's parameters: one given with no value (``?minutes=``) is refused, not taken as absent.

    DRF reads a blank form value of an optional field as "not sent" and uses the default, so
    ``?minutes=`` would quietly mean the default while the OpenAPI document says it is a number.
    """

    def to_internal_value(self, data: Any) -> Any:
        blank = {
            name: ["May not be blank: leave it out for the default."] for name in self.fields if _blank(data, name)
        }
        if blank:
            raise serializers.ValidationError(blank)
        return super().to_internal_value(data)


def _blank(data: Any, name: str) -> bool:
    return isinstance(data, Mapping) and data.get(name) == ""
