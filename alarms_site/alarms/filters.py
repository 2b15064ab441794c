"""Query-string filters of the alarms API; a bad value is a 400 naming the field."""

from __future__ import annotations

import django_filters
from django.db.models import QuerySet

from alarms_site.alarms.models import Alarm, Severity, State
from sitekit.filters import IntegerFilter, StrictFilterSet


class AlarmFilter(StrictFilterSet):
    building_id = IntegerFilter(min_value=1)
    severity = django_filters.ChoiceFilter(choices=Severity.choices)
    state = django_filters.ChoiceFilter(choices=State.choices)
    # A choice rather than a BooleanFilter, which reads "maybe" as "no filter" instead of an error.
    acknowledged = django_filters.ChoiceFilter(
        choices=[("true", "Acknowledged"), ("false", "Not acknowledged")], method="filter_acknowledged"
    )

    class Meta:
        model = Alarm
        fields = ["building_id", "severity", "state", "acknowledged"]

    def filter_acknowledged(self, queryset: QuerySet[Alarm], name: str, value: str) -> QuerySet[Alarm]:
        """``acknowledged=true`` keeps acknowledged alarms, ``false`` the open ones."""
        return queryset.filter(acknowledged_at__isnull=value != "true")
