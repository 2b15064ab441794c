"""Writes on workflows."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import IntegrityError, transaction

from bridge.inserts import can_insert_new, insert_new
from workflows_site.workflows.models import Workflow


@dataclass(frozen=True)
class NewWorkflow:
    """One workflow to create; ``idempotency_key`` makes retries return the first one."""

    name: str
    building_id: int
    idempotency_key: str | None = None


def workflow_create(
    *, name: str, building_id: int, status: str | None = None, idempotency_key: str | None = None
) -> Workflow:
    """Create a workflow; a repeated ``idempotency_key`` returns the first one instead.

    Two replicas may receive the same retried request at once: the unique key lets one
    insert win and the other read the winner, so there is never a second workflow.
    """
    if idempotency_key:
        existing = Workflow.objects.filter(idempotency_key=idempotency_key).first()
        if existing is not None:
            return existing
    fields = {"name": name, "building_id": building_id, "idempotency_key": idempotency_key or None}
    if status:
        fields["status"] = status
    try:
        with transaction.atomic():
            return Workflow.objects.create(**fields)
    except IntegrityError:
        if not idempotency_key:
            raise
        return Workflow.objects.get(idempotency_key=idempotency_key)


def workflow_create_many(*, new: list[NewWorkflow]) -> list[Workflow]:
    """Create many workflows idempotently; results in the order given.

    A key already stored (or being stored at this moment by another replica, whose commit
    PostgreSQL waits for) yields the existing workflow, and a key repeated within the batch
    yields one workflow. On PostgreSQL the keyed rows take one statement that returns the
    rows it inserted; only keys it skipped (retries, which are rare) are read back. No
    transaction around it: each statement is atomic, and should the unkeyed insert fail
    after the keyed one, retrying the keyed requests returns the workflows already made.
    """
    first_by_key: dict[str, NewWorkflow] = {}
    for item in new:
        if item.idempotency_key:
            first_by_key.setdefault(item.idempotency_key, item)
    keyed = [Workflow(name=i.name, building_id=i.building_id, idempotency_key=k) for k, i in first_by_key.items()]
    by_key = _insert_keyed(keyed)
    unkeyed = Workflow.objects.bulk_create(
        [Workflow(name=item.name, building_id=item.building_id) for item in new if not item.idempotency_key]
    )
    unkeyed_iter = iter(unkeyed)
    return [by_key[item.idempotency_key] if item.idempotency_key else next(unkeyed_iter) for item in new]


def _insert_keyed(workflows: list[Workflow]) -> dict[str, Workflow]:
    """Insert workflows whose key is new; returns every given key's workflow, new or stored."""
    if not workflows:
        return {}
    if can_insert_new():
        by_key = {w.idempotency_key: w for w in insert_new(Workflow, workflows, unique_field="idempotency_key")}
    else:
        Workflow.objects.bulk_create(workflows, ignore_conflicts=True)
        by_key = {}
    known = [w.idempotency_key for w in workflows if w.idempotency_key not in by_key]
    if known:
        by_key.update((w.idempotency_key, w) for w in Workflow.objects.filter(idempotency_key__in=known))
    return by_key


def workflow_update(*, workflow: Workflow, **fields: object) -> Workflow:
    """Change a workflow's name, building or status."""
    for name, value in fields.items():
        setattr(workflow, name, value)
    workflow.save(update_fields=[*fields, "updated_at"])
    return workflow


def workflow_delete(*, workflow: Workflow) -> None:
    """Delete a workflow."""
    workflow.delete()
