"""Which status a workflow may move to, and the one function that moves workflows.

Every status change (REST, ``workflows.transition``, the admin, a building's deletion, a
workflow's deletion) goes through ``workflows_transition``: it checks the rule, counts the
version up and announces ``workflow.status_changed`` in the same transaction.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from workflows_site.workflows.announcements import announce_status_changed
from workflows_site.workflows.errors import TransitionRefused
from workflows_site.workflows.models import Workflow, WorkflowStatus

# new -> active -> completed | cancelled; a new workflow may be cancelled too. Completed and
# cancelled are final. Anything not listed, moving to the same status included, is refused.
NEXT_STATUSES: dict[str, frozenset[str]] = {
    WorkflowStatus.NEW: frozenset({WorkflowStatus.ACTIVE, WorkflowStatus.CANCELLED}),
    WorkflowStatus.ACTIVE: frozenset({WorkflowStatus.COMPLETED, WorkflowStatus.CANCELLED}),
    WorkflowStatus.COMPLETED: frozenset(),
    WorkflowStatus.CANCELLED: frozenset(),
}


def check_transition(workflow: Workflow, status: str) -> None:
    """Raise ``TransitionRefused`` unless ``workflow`` may move to ``status``."""
    if status not in NEXT_STATUSES[workflow.status]:
        raise TransitionRefused(f"cannot move workflow {workflow.pk} from {workflow.status} to {status}")


@transaction.atomic
def workflows_transition(*, workflows: QuerySet[Workflow], status: str) -> list[Workflow]:
    """Move every workflow of ``workflows`` to ``status``, or none of them; returns them as changed.

    The rows are locked first (in id order, so two callers never deadlock) and checked as
    they are then: two operators moving one workflow at once get one change and one refusal.
    """
    locked = list(workflows.select_for_update().order_by("pk"))
    for workflow in locked:
        check_transition(workflow, status)
    changed_at = timezone.now()
    previous = {}
    for workflow in locked:
        previous[workflow.pk] = workflow.status
        workflow.status = status
        workflow.version += 1
        workflow.updated_at = changed_at
    Workflow.objects.bulk_update(locked, ["status", "version", "updated_at"])
    announce_status_changed(locked, previous=previous, changed_at=changed_at)
    return locked


def workflow_transition(*, workflow_id: int, status: str) -> Workflow:
    """Move one workflow to ``status``; ``Workflow.DoesNotExist`` when there is no such workflow."""
    changed = workflows_transition(workflows=Workflow.objects.filter(pk=workflow_id), status=status)
    if not changed:
        raise Workflow.DoesNotExist(f"workflow {workflow_id} does not exist")
    return changed[0]
