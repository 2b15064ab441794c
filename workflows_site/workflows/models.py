"""Workflows of buildings."""

from __future__ import annotations

from django.core.validators import MinLengthValidator, MinValueValidator
from django.db import models


class WorkflowStatus(models.TextChoices):
    NEW = "new", "New"
    ACTIVE = "active", "Active"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"


class Workflow(models.Model):
    name = models.CharField(max_length=200, validators=[MinLengthValidator(1)])
    building_id = models.BigIntegerField(db_index=True, validators=[MinValueValidator(1)])
    status = models.CharField(max_length=16, choices=WorkflowStatus.choices, default=WorkflowStatus.NEW)
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
