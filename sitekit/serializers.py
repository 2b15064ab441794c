"""Serializer helpers shared by every site."""

from __future__ import annotations

import inspect
from collections.abc import Iterable, Mapping
from typing import Any

from django.db import models
from django.utils import timezone
from rest_framework import serializers
from rest_framework.relations import ManyRelatedField, RelatedField
from rest_framework.utils.serializer_helpers import BindingDict

# Fields whose value is not simply one attribute read: nested, computed or related objects.
_NOT_PLAIN = (serializers.BaseSerializer, serializers.SerializerMethodField, RelatedField, ManyRelatedField)


def _plain_plan(fields: Iterable[serializers.Field], model: type[models.Model]) -> list[tuple[str, str, Any]] | None:
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
        plan.append((field.field_name, attrs[0], field.to_representation))
    return plan


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
        for name, attribute, represent in plan:
            value = getattr(instance, attribute)
            shown[name] = None if value is None else represent(value)
        return shown

    def _plain_plan(self) -> list[tuple[str, str, Any]] | None:
        """(name, attribute, to_representation) of each field, or None when one is not plain; once per class."""
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
