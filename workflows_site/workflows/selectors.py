"""Reads on workflows."""

from __future__ import annotations

from django.db.models import QuerySet

from workflows_site.workflows.models import DeletedBuilding, Workflow


def workflow_list() -> QuerySet[Workflow]:
    """All workflows, newest first."""
    return Workflow.objects.all()


def building_is_deleted(building_id: int) -> bool:
    """Whether the building was deleted: a form's early check (creating checks again, under a lock)."""
    return DeletedBuilding.objects.filter(building_id=building_id).exists()
