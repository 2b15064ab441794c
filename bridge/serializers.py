"""Serializer helpers shared by every site."""

from __future__ import annotations

from rest_framework.utils.serializer_helpers import BindingDict


class FieldsOnceMixin:
    """Builds an output serializer's fields once per class instead of once per object shown.

    A ``ModelSerializer`` rebuilds its fields from the model each time it is instantiated:
    about a quarter of a ``GET`` of one building, and most of a ``workflows.create`` reply.
    Only for serializers that show plain model fields: those hold no per-request state (no
    context, no request), so one bound set serves every object, in every thread.
    """

    @property
    def fields(self) -> BindingDict:
        cls = type(self)
        fields = cls.__dict__.get("_fields_once")
        if fields is None:
            fields = super().fields
            cls._fields_once = fields
        return fields
