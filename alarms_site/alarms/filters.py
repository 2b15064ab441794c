"""Query-string filters of the alarms API; a bad value is a 400 naming the field."""

from __future__ import annotations

import django_filters
from django.db.models import QuerySet

from alarms_site.alarms.models import Alarm, Severity, State
from alarms_site.alarms.priorities import Priority, severities_of
from alarms_site.alarms.selectors import ANNUNCIATED_NOW, OPEN, ORDERS, alarm_ordered
from sitekit.filters import IntegerFilter, StrictFilterSet

# A choice rather than a BooleanFilter, which reads "maybe" as "no filter" instead of an error.
YES_NO = [("true", "Yes"), ("false", "No")]


class AlarmFilter(StrictFilterSet):
    building_id = IntegerFilter(min_value=1)
    severity = django_filters.ChoiceFilter(choices=Severity.choices)
    priority = django_filters.ChoiceFilter(choices=Priority.choices, method="filter_priority")
    state = django_filters.ChoiceFilter(choices=State.choices)
    acknowledged = django_filters.ChoiceFilter(choices=YES_NO, method="filter_acknowledged")
    assignee = django_filters.CharFilter(max_length=150, help_text="A username; `assigned=false` lists the unassigned.")
    assigned = django_filters.ChoiceFilter(choices=YES_NO, method="filter_assigned")
    shelved = django_filters.ChoiceFilter(choices=YES_NO, method="filter_shelved")
    out_of_service = django_filters.ChoiceFilter(choices=YES_NO, method="filter_out_of_service")
    chattering = django_filters.ChoiceFilter(choices=YES_NO, method="filter_chattering")
    annunciated = django_filters.ChoiceFilter(
        choices=YES_NO,
        method="filter_annunciated",
        help_text="true: what the live page's main list shows (open, not shelved, building in service).",
    )
    open = django_filters.ChoiceFilter(
        choices=YES_NO,
        method="filter_open",
        help_text="true: not closed (the live page's list with shelved and out-of-service alarms shown too).",
    )
    order = django_filters.ChoiceFilter(
        choices=[(name, name) for name in ORDERS],
        method="filter_order",
        help_text="newest (default), or priority: unacknowledged first, then by priority, then newest.",
    )

    class Meta:
        model = Alarm
        fields = ["building_id", "severity", "state", "assignee"]

    def filter_priority(self, queryset: QuerySet[Alarm], name: str, value: str) -> QuerySet[Alarm]:
        return queryset.filter(severity__in=severities_of(value))

    def filter_acknowledged(self, queryset: QuerySet[Alarm], name: str, value: str) -> QuerySet[Alarm]:
        """``acknowledged=true`` keeps acknowledged alarms, ``false`` the others."""
        return queryset.filter(acknowledged_at__isnull=value != "true")

    def filter_assigned(self, queryset: QuerySet[Alarm], name: str, value: str) -> QuerySet[Alarm]:
        return queryset.exclude(assignee="") if value == "true" else queryset.filter(assignee="")

    def filter_shelved(self, queryset: QuerySet[Alarm], name: str, value: str) -> QuerySet[Alarm]:
        return queryset.filter(shelved_at__isnull=value != "true")

    def filter_out_of_service(self, queryset: QuerySet[Alarm], name: str, value: str) -> QuerySet[Alarm]:
        return queryset.filter(out_of_service=value == "true")

    def filter_chattering(self, queryset: QuerySet[Alarm], name: str, value: str) -> QuerySet[Alarm]:
        return queryset.filter(chattering=value == "true")

    def filter_annunciated(self, queryset: QuerySet[Alarm], name: str, value: str) -> QuerySet[Alarm]:
        return queryset.filter(ANNUNCIATED_NOW) if value == "true" else queryset.exclude(ANNUNCIATED_NOW)

    def filter_open(self, queryset: QuerySet[Alarm], name: str, value: str) -> QuerySet[Alarm]:
        return queryset.filter(state__in=OPEN) if value == "true" else queryset.exclude(state__in=OPEN)

    def filter_order(self, queryset: QuerySet[Alarm], name: str, value: str) -> QuerySet[Alarm]:
        return alarm_ordered(queryset, order=value)
