"""Workflows of buildings, and the buildings known to be deleted."""

from __future__ import annotations

from django.core.validators import MinLengthValidator, MinValueValidator
from django.db import models


class WorkflowStatus(models.TextChoices):
    NEW = "new", "New"
    ACTIVE = "active", "Active"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"


# A workflow still to be done: the ones a building's deletion cancels.
OPEN_STATUSES = (WorkflowStatus.NEW, WorkflowStatus.ACTIVE)


class WorkflowKind(models.TextChoices):
    GENERAL = "general", "General"
    RESPONSE = "response", "Response to an alarm"
    MAINTENANCE = "maintenance", "Maintenance"


class Workflow(models.Model):
    name = models.CharField(max_length=200, validators=[MinLengthValidator(1)])
    building_id = models.BigIntegerField(db_index=True, validators=[MinValueValidator(1)])
    kind = models.CharField(
        max_length=16,
        choices=WorkflowKind.choices,
        default=WorkflowKind.GENERAL,
        help_text="Set at creation. While a maintenance workflow is active, the alarms site keeps its building "
        "out of service.",
    )
    status = models.CharField(max_length=16, choices=WorkflowStatus.choices, default=WorkflowStatus.NEW)
    version = models.PositiveIntegerField(
        default=1,
        help_text="1 at creation, one more with each status change: the version of its last "
        "workflow.status_changed event, by which readers tell a newer event from an older one.",
    )
    idempotency_key = models.CharField(
        max_length=200,
        unique=True,
        null=True,
        blank=True,
        editable=False,
        help_text="Key of the request that created it; a retry with the same key gets this workflow.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.name} (building {self.building_id})"


class DeletedBuilding(models.Model):
    """A building the buildings site deleted (``building.deleted``): no workflow is created for it any more.

    Kept for good, as a request for its workflow may arrive any time after the deletion (one
    in flight, or a retry); one row per building, so a redelivered event changes nothing.
    """

    building_id = models.BigIntegerField(primary_key=True, validators=[MinValueValidator(1)])
    deleted_at = models.DateTimeField(help_text="When the buildings site deleted it.")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-deleted_at"]

    def __str__(self) -> str:
        return f"building {self.building_id} (deleted)"
