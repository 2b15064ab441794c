"""Writes on workflows: creation, changes of name or building, deletion.

Status changes are ``transitions.workflows_transition``'s, which these call; every creation
and every status change announces ``workflow.status_changed`` in its own transaction.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.db.models import QuerySet

from sitekit.inserts import insert_new
from workflows_site.workflows.announcements import announce_created
from workflows_site.workflows.deletions import refuse_deleted_buildings
from workflows_site.workflows.errors import TransitionRefused, WorkflowChangeRefused
from workflows_site.workflows.models import OPEN_STATUSES, Workflow, WorkflowStatus
from workflows_site.workflows.transitions import workflow_transition, workflows_transition


@dataclass(frozen=True)
class NewWorkflow:
    """One workflow to create; ``idempotency_key`` makes retries return the first one."""

    name: str
    building_id: int
    idempotency_key: str | None = None
    kind: str | None = None  # the model's default (general) when None

    def to_model(self, key: str | None) -> Workflow:
        fields = {"name": self.name, "building_id": self.building_id, "idempotency_key": key}
        return Workflow(**fields, **({"kind": self.kind} if self.kind else {}))


def workflow_create(
    *,
    name: str,
    building_id: int,
    kind: str | None = None,
    status: str | None = None,
    idempotency_key: str | None = None,
) -> Workflow:
    """Create one workflow; a repeated ``idempotency_key`` returns the first one instead.

    A workflow starts as new: ``status`` is accepted only as that, since any other would skip
    the transitions (and their events) that lead there.
    """
    if status not in (None, WorkflowStatus.NEW):
        raise TransitionRefused(f"a workflow starts as new, not {status}: create it, then move it on")
    return workflow_create_many(new=[NewWorkflow(name, building_id, idempotency_key, kind)])[0]


@transaction.atomic
def workflow_create_many(*, new: list[NewWorkflow]) -> list[Workflow]:
    """Create workflows idempotently and announce each one created; results in the order given.

    A key already stored (or being stored at this moment by another replica, whose commit
    the database waits for) yields the existing workflow, and a key repeated within the
    batch yields one workflow: two replicas given the same retried request never make a
    second one. The keyed rows take one statement that returns the rows it inserted, and
    exactly those (and the unkeyed ones) are announced: a replayed request announces
    nothing again. Only keys it skipped (retries, which are rare) are read back.

    ``BuildingDeleted`` when any of them names a deleted building (see ``deletions``):
    nothing of the batch is kept then.
    """
    if not new:
        return []
    refuse_deleted_buildings(item.building_id for item in new)
    first_by_key: dict[str, NewWorkflow] = {}
    for item in new:
        if item.idempotency_key:
            first_by_key.setdefault(item.idempotency_key, item)
    inserted, by_key = _insert_keyed([item.to_model(key) for key, item in first_by_key.items()])
    unkeyed = Workflow.objects.bulk_create([item.to_model(None) for item in new if not item.idempotency_key])
    announce_created([*inserted, *unkeyed])
    unkeyed_iter = iter(unkeyed)
    return [by_key[item.idempotency_key] if item.idempotency_key else next(unkeyed_iter) for item in new]


def _insert_keyed(workflows: list[Workflow]) -> tuple[list[Workflow], dict[str, Workflow]]:
    """Insert workflows whose key is new; returns those inserted, and every given key's workflow, new or stored."""
    inserted = insert_new(Workflow, workflows, unique_field="idempotency_key")
    by_key = {w.idempotency_key: w for w in inserted}
    known = [w.idempotency_key for w in workflows if w.idempotency_key not in by_key]
    if known:
        by_key.update((w.idempotency_key, w) for w in Workflow.objects.filter(idempotency_key__in=known))
    return inserted, by_key


@transaction.atomic
def workflow_update(
    *, workflow: Workflow, status: str | None = None, kind: str | None = None, **fields: object
) -> Workflow:
    """Change a workflow's name or building, and move it to ``status`` (checked, announced) when given.

    The kind is set at creation: readers of the events (the alarms site, for maintenance)
    follow a workflow by its kind, so another kind is refused. Moving a workflow to a deleted
    building is refused as creating one there is. All or nothing: a refused status keeps
    the name too.
    """
    if kind is not None and kind != workflow.kind:
        raise WorkflowChangeRefused(
            f"the kind of workflow {workflow.pk} is {workflow.kind}: it is set at creation", field="kind"
        )
    if fields.get("building_id", workflow.building_id) != workflow.building_id:
        refuse_deleted_buildings([fields["building_id"]])
    if status is not None:
        workflow = workflow_transition(workflow_id=workflow.pk, status=status)
    for name, value in fields.items():
        setattr(workflow, name, value)
    if fields:
        workflow.save(update_fields=[*fields, "updated_at"])
    return workflow


def workflow_delete(*, workflow: Workflow) -> None:
    """Delete a workflow (see ``workflows_delete``)."""
    workflows_delete(workflows=Workflow.objects.filter(pk=workflow.pk))


@transaction.atomic
def workflows_delete(*, workflows: QuerySet[Workflow]) -> None:
    """Delete workflows; an open one is cancelled first, announced, so its readers see it end.

    Otherwise an active maintenance workflow deleted would keep its building out of service
    on the alarms site for good.
    """
    workflows_transition(workflows=workflows.filter(status__in=OPEN_STATUSES), status=WorkflowStatus.CANCELLED)
    workflows.delete()
