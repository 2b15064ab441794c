"""Writes on workflows."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from workflows_site.workflows.models import Workflow


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


def workflow_update(*, workflow: Workflow, **fields: object) -> Workflow:
    """Change a workflow's name, building or status."""
    for name, value in fields.items():
        setattr(workflow, name, value)
    workflow.save(update_fields=[*fields, "updated_at"])
    return workflow


def workflow_delete(*, workflow: Workflow) -> None:
    """Delete a workflow."""
    workflow.delete()
