"""Alarm priorities: one per severity (``ALARMS_PRIORITY_BY_SEVERITY``), for ordering and the priority mix.

The priority is not stored: it follows the setting, so a change of the mapping applies to
every alarm at once, old ones included, and ingest writes nothing more per alarm.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Case, Value, When


class Priority(models.TextChoices):
    HIGH = "high", "High"
    MEDIUM = "medium", "Medium"
    LOW = "low", "Low"


# ISA-18.2 / EEMUA 191's guideline for the share of each priority among annunciated alarms.
GUIDELINE_SHARE = {Priority.HIGH: 0.05, Priority.MEDIUM: 0.15, Priority.LOW: 0.80}
RANK = {Priority.HIGH: 0, Priority.MEDIUM: 1, Priority.LOW: 2}  # highest first


def priority_of(severity: str) -> str:
    """The priority of alarms of ``severity``."""
    return settings.ALARMS_PRIORITY_BY_SEVERITY[severity]


def severities_of(priority: str) -> list[str]:
    """The severities that have ``priority``, for a filter on the stored severity."""
    return [severity for severity, its in settings.ALARMS_PRIORITY_BY_SEVERITY.items() if its == priority]


def priority_rank() -> Case:
    """0 for high, 1 medium, 2 low, as a query expression over ``severity``, for ``order_by``."""
    return Case(
        *(
            When(severity=severity, then=Value(RANK[priority]))
            for severity, priority in settings.ALARMS_PRIORITY_BY_SEVERITY.items()
        ),
        default=Value(len(RANK)),
        output_field=models.IntegerField(),
    )


def priority_name() -> Case:
    """The priority's name as a query expression over ``severity``, for grouping."""
    return Case(
        *(
            When(severity=severity, then=Value(priority))
            for severity, priority in settings.ALARMS_PRIORITY_BY_SEVERITY.items()
        ),
        default=Value(Priority.LOW),
        output_field=models.CharField(),
    )
