"""The query-string filter backend every site's API uses: strict values, and a schema that says so."""

from __future__ import annotations

import django_filters
from django import forms
from django.db import models
from django.db.models import QuerySet
from django_filters.rest_framework import DjangoFilterBackend, FilterSet
from drf_spectacular.contrib.django_filters import DjangoFilterExtension
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.views import APIView


class IntegerFilter(django_filters.NumberFilter):
    """A whole number: ``building_id=1.5`` is refused, not rounded."""

    field_class = forms.IntegerField


INTEGER_FIELDS = (
    models.AutoField,
    models.BigAutoField,
    models.SmallAutoField,
    models.IntegerField,  # and its subclasses: Small, Big, Positive...
)


class StrictFilterSet(FilterSet):
    """What ``filterset_fields`` builds on: integer columns take whole numbers only.

    django-filter reads every number through a DecimalField and the ORM drops the fraction,
    so ``?building_id=1.5`` would quietly mean 1; a 400 naming the field is the honest answer.
    """

    FILTER_DEFAULTS = {
        **FilterSet.FILTER_DEFAULTS,
        **{
            field: {"filter_class": IntegerFilter}
            for field in FilterSet.FILTER_DEFAULTS
            if isinstance(field, type) and issubclass(field, INTEGER_FIELDS)
        },
    }


class ListFilterBackend(DjangoFilterBackend):
    """django-filter on list views only.

    DRF filters the queryset of a detail view too (``GET /api/buildings/5/?workflow_status=x``
    would 404), which costs a filterset and its form on every read of one object, about a
    fifth of such a request, for a feature no client uses.
    """

    filterset_base = StrictFilterSet

    def filter_queryset(self, request: Request, queryset: QuerySet, view: APIView) -> QuerySet:
        if getattr(view, "action", None) != "list":
            return queryset
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is not None:
            refuse_blank_values(request, filterset_class)
        return super().filter_queryset(request, queryset, view)


def refuse_blank_values(request: Request, filterset_class: type[FilterSet]) -> None:
    """``?status=`` is no status: django-filter would drop the filter and list everything."""
    blank = [name for name in filterset_class.base_filters if request.query_params.get(name, None) == ""]
    if blank:
        raise ValidationError({name: ["This filter may not be blank: leave it out to list all."] for name in blank})


class StrictFilterExtension(DjangoFilterExtension):
    """The OpenAPI parameters of ``ListFilterBackend``: django-filter's, with each filter's bounds."""

    target_class = "sitekit.filters.ListFilterBackend"
    priority = 1

    def resolve_filter_field(self, auto_schema, model, filterset_class, field_name, filter_field):
        parameters = super().resolve_filter_field(auto_schema, model, filterset_class, field_name, filter_field)
        extra = filter_field.extra
        bounds = {"minimum": extra.get("min_value"), "maximum": extra.get("max_value")}
        for parameter in parameters:
            schema = parameter["schema"]
            schema.update({key: value for key, value in bounds.items() if value is not None})
            if schema.get("type") == "string" and "enum" not in schema:
                schema["minLength"] = 1  # a blank value is refused (refuse_blank_values)
                if extra.get("max_length") is not None:
                    schema["maxLength"] = extra["max_length"]
        return parameters
