"""Workflows for tests, brought to a status the way the services would: each step a checked, announced change."""

from __future__ import annotations

from workflows_site.workflows.models import Workflow, WorkflowStatus
from workflows_site.workflows.services import workflow_create
from workflows_site.workflows.transitions import workflow_transition

# The steps from new to each status.
PATH_TO = {
    WorkflowStatus.NEW: [],
    WorkflowStatus.ACTIVE: [WorkflowStatus.ACTIVE],
    WorkflowStatus.COMPLETED: [WorkflowStatus.ACTIVE, WorkflowStatus.COMPLETED],
    WorkflowStatus.CANCELLED: [WorkflowStatus.CANCELLED],
}

LEGAL = {
    (WorkflowStatus.NEW, WorkflowStatus.ACTIVE),
    (WorkflowStatus.NEW, WorkflowStatus.CANCELLED),
    (WorkflowStatus.ACTIVE, WorkflowStatus.COMPLETED),
    (WorkflowStatus.ACTIVE, WorkflowStatus.CANCELLED),
}
# Every other pair of statuses, the same one twice included.
ILLEGAL = [(before, after) for before in WorkflowStatus for after in WorkflowStatus if (before, after) not in LEGAL]


def workflow_in(status: str, *, building_id: int = 1, kind: str | None = None, name: str = "Inspect") -> Workflow:
    """A workflow of ``building_id`` that went from new to ``status``."""
    workflow = workflow_create(name=name, building_id=building_id, kind=kind)
    for step in PATH_TO[status]:
        workflow = workflow_transition(workflow_id=workflow.pk, status=step)
    return workflow
