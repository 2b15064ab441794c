"""NATS handlers of workflows_site: take validated payloads, call a service, return dicts."""

from __future__ import annotations

import logging
from typing import Any

from django.utils import timezone

from bridge.routes import Meta
from natswire.errors import HandlerError, NotFound
from workflows_site.workflows.deletions import buildings_deleted_record
from workflows_site.workflows.errors import WorkflowChangeRefused
from workflows_site.workflows.models import Workflow
from workflows_site.workflows.serializers import WorkflowReplySerializer
from workflows_site.workflows.services import NewWorkflow, workflow_create_many
from workflows_site.workflows.transitions import workflow_transition

logger = logging.getLogger(__name__)

# The wire's names for the fields a refusal names.
_WIRE_FIELDS = {"building_id": "buildingId"}


def create_workflows(requests: list[tuple[dict[str, Any], Meta]]) -> list[dict[str, Any]]:
    """``workflows.create`` for the requests that arrived together: one insert for all.

    A request naming a deleted building fails the whole batch; the bridge then answers the
    requests one by one, so only that one gets the 409 (deletions are rare).
    """
    new = [NewWorkflow(p["name"], p["building_id"], meta.idempotency_key, p.get("kind")) for p, meta in requests]
    try:
        workflows = workflow_create_many(new=new)
    except WorkflowChangeRefused as refusal:
        raise _error_reply(refusal) from refusal
    for workflow, (_, meta) in zip(workflows, requests, strict=True):
        logger.info(
            "workflow %s for building %s (key %s)",
            workflow.pk,
            workflow.building_id,
            meta.idempotency_key,
            extra={"trace_id": meta.trace_id},
        )
    return WorkflowReplySerializer(workflows, many=True).data


def transition_workflow(payload: dict[str, Any], meta: Meta) -> dict[str, Any]:
    """``workflows.transition``: move a workflow to a status; 400 when the rules refuse it, 404 when unknown."""
    try:
        workflow = workflow_transition(workflow_id=payload["id"], status=payload["status"])
    except Workflow.DoesNotExist:
        raise NotFound(f"workflow {payload['id']} does not exist") from None
    except WorkflowChangeRefused as refusal:
        raise _error_reply(refusal) from refusal
    logger.info("workflow %s is %s (version %s)", workflow.pk, workflow.status, workflow.version)
    return WorkflowReplySerializer(workflow).data


def buildings_deleted(payloads: list[dict[str, Any]]) -> None:
    """``building.deleted``: remember the buildings and cancel their open workflows, one transaction per batch."""
    received_at = timezone.now()
    deleted_at = {payload["building_id"]: payload.get("deleted_at") or received_at for payload in payloads}
    cancelled = buildings_deleted_record(deleted_at=deleted_at)
    if cancelled:
        logger.info("cancelled %d workflows of deleted buildings %s", len(cancelled), sorted(deleted_at))


def _error_reply(refusal: WorkflowChangeRefused) -> HandlerError:
    field = _WIRE_FIELDS.get(refusal.field, refusal.field)
    return HandlerError(refusal.message, status=refusal.status, errors={field: [refusal.message]})
