"""Buildings, where each stands with its first workflow, and what the other services report of it.

``open_workflows`` and ``open_alarms`` are a read model: kept by the buildings bridge from
the workflows' and alarms' durable events (``buildings_site/buildings/readmodel.py``), never
read from another site's database, so a building's page costs no call to another service and
shows the last figures reported while that service is down.
"""

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
    open_workflows = models.PositiveIntegerField(
        default=0, db_default=0, help_text="Its workflows that are new or active, as the workflows service reported."
    )
    open_alarms = models.PositiveIntegerField(
        default=0, db_default=0, help_text="Its alarms not closed, as the alarms service last reported."
    )
    alarms_counted_at = models.DateTimeField(
        null=True, blank=True, help_text="When the alarms service counted open_alarms; empty: never reported."
    )

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return self.name


class WorkflowSeen(models.Model):
    """The latest state of each workflow the workflows service announced: what ``open_workflows`` counts.

    ``version`` grows with each change of the workflow, so an event delivered late or twice
    never takes a workflow back to an older state.
    """

    workflow_id = models.BigIntegerField(primary_key=True)
    building_id = models.BigIntegerField(db_index=True)
    status = models.CharField(max_length=16)
    version = models.PositiveIntegerField()

    class Meta:
        ordering = ["workflow_id"]
        verbose_name_plural = "workflows seen"

    def __str__(self) -> str:
        return f"workflow {self.workflow_id} of building {self.building_id}: {self.status} (v{self.version})"
