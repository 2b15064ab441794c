"""Alarms raised in buildings, as received from ``alarm.created`` events."""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinLengthValidator, MinValueValidator
from django.db import models
from django.utils import timezone

# building_id is a PostgreSQL ``integer``: anything larger must be refused at validation,
# or one bad event would fail its whole batch on insert, again and again.
MAX_BUILDING_ID = 2_147_483_647


class Severity(models.TextChoices):
    CRITICAL = "critical", "Critical"
    MAJOR = "major", "Major"
    MINOR = "minor", "Minor"
    WARNING = "warning", "Warning"
    INFO = "info", "Info"


class Alarm(models.Model):
    event_id = models.UUIDField(unique=True, editable=False, help_text="Id of the alarm.created event.")
    name = models.CharField(max_length=200, validators=[MinLengthValidator(1)])
    building_id = models.PositiveIntegerField(validators=[MinValueValidator(1), MaxValueValidator(MAX_BUILDING_ID)])
    severity = models.CharField(max_length=16, choices=Severity.choices, default=Severity.MINOR)
    occurred_at = models.DateTimeField(help_text="When the alarm went off (the event's occurredAt).")
    received_at = models.DateTimeField(default=timezone.now, help_text="When this service stored it.")
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.CharField(max_length=150, blank=True)

    class Meta:
        # Ids follow commit order (see services.alarm_store_batch), so this is "newest first".
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["building_id", "-id"], name="alarm_building_idx"),
            models.Index(fields=["severity", "-id"], name="alarm_severity_idx"),
            models.Index(fields=["received_at"], name="alarm_received_idx"),
            models.Index(fields=["-id"], name="alarm_unacknowledged_idx", condition=models.Q(acknowledged_at=None)),
        ]

    def __str__(self) -> str:
        return f"{self.get_severity_display()}: {self.name} (building {self.building_id})"

    @property
    def is_acknowledged(self) -> bool:
        return self.acknowledged_at is not None
