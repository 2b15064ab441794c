"""Every admin list of the workflows site with 1,000 rows: few queries, no link per value."""

from __future__ import annotations

from django.test import TestCase
from django.utils import timezone

from bridge.outbox.testing import OUTBOX_ROWS
from sitekit.admin_checks import AdminListChecks
from workflows_site.workflows.models import DeletedBuilding, Workflow, WorkflowKind


def many_workflows(count: int) -> None:
    """One workflow per building, each with its own key, of every kind."""
    kinds = list(WorkflowKind)
    Workflow.objects.bulk_create(
        Workflow(name=f"Workflow {index}", building_id=index + 1, kind=kinds[index % 3], idempotency_key=f"key-{index}")
        for index in range(count)
    )


def many_deleted_buildings(count: int) -> None:
    now = timezone.now()
    DeletedBuilding.objects.bulk_create(
        DeletedBuilding(building_id=index + 1, deleted_at=now) for index in range(count)
    )


class WorkflowsAdminListTests(AdminListChecks, TestCase):
    site_rows = {
        **OUTBOX_ROWS,
        "workflows.Workflow": many_workflows,
        "workflows.DeletedBuilding": many_deleted_buildings,
    }
