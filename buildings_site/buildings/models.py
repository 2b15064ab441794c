"""Buildings, and where each stands with its first workflow."""

from __future__ import annotations

from django.core.validators import MinLengthValidator
from django.db import models


class WorkflowStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    CREATED = "created", "Created"
    FAILED = "failed", "Failed"


class Building(models.Model):
    name = models.CharField(max_length=200, validators=[MinLengthValidator(1)])
    workflow_id = models.BigIntegerField(null=True, blank=True, help_text="Id in the workflows service.")
    workflow_status = models.CharField(
        max_length=16, choices=WorkflowStatus.choices, default=WorkflowStatus.PENDING, db_index=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return self.name
