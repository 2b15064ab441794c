"""Writes on workflows."""

from __future__ import annotations

from dataclasses import dataclass

from sitekit.inserts import insert_new
from workflows_site.workflows.models import Workflow


@dataclass(frozen=True)
class NewWorkflow:
    """One workflow to create; ``idempotency_key`` makes retries return the first one."""

    name: str
    building_id: int
    idempotency_key: str | None = None
    status: str | None = None  # the model's default when None

    def to_model(self, key: str | None) -> Workflow:
        fields = {"name": self.name, "building_id": self.building_id, "idempotency_key": key}
        return Workflow(**fields, **({"status": self.status} if self.status else {}))


def workflow_create(
    *, name: str, building_id: int, status: str | None = None, idempotency_key: str | None = None
) -> Workflow:
    """Create one workflow; a repeated ``idempotency_key`` returns the first one instead."""
    return workflow_create_many(new=[NewWorkflow(name, building_id, idempotency_key, status)])[0]


def workflow_create_many(*, new: list[NewWorkflow]) -> list[Workflow]:
    """Create workflows idempotently; results in the order given.

    A key already stored (or being stored at this moment by another replica, whose commit
    the database waits for) yields the existing workflow, and a key repeated within the
    batch yields one workflow: two replicas given the same retried request never make a
    second one. The keyed rows take one statement that returns the rows it inserted; only
    keys it skipped (retries, which are rare) are read back. No transaction around it: each
    statement is atomic, and should the unkeyed insert fail after the keyed one, retrying
    the keyed requests returns the workflows already made.
    """
    first_by_key: dict[str, NewWorkflow] = {}
    for item in new:
        if item.idempotency_key:
            first_by_key.setdefault(item.idempotency_key, item)
    by_key = _insert_keyed([item.to_model(key) for key, item in first_by_key.items()])
    unkeyed = Workflow.objects.bulk_create([item.to_model(None) for item in new if not item.idempotency_key])
    unkeyed_iter = iter(unkeyed)
    return [by_key[item.idempotency_key] if item.idempotency_key else next(unkeyed_iter) for item in new]


def _insert_keyed(workflows: list[Workflow]) -> dict[str, Workflow]:
    """Insert workflows whose key is new; returns every given key's workflow, new or stored."""
    by_key = {w.idempotency_key: w for w in insert_new(Workflow, workflows, unique_field="idempotency_key")}
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
