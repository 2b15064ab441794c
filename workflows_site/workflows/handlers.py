"""NATS handlers of workflows_site: take validated payloads, call a service, return dicts."""

from __future__ import annotations

import logging
from typing import Any

from bridge.routes import Meta
from workflows_site.workflows.serializers import WorkflowReplySerializer
from workflows_site.workflows.services import NewWorkflow, workflow_create_many

logger = logging.getLogger(__name__)


def create_workflows(requests: list[tuple[dict[str, Any], Meta]]) -> list[dict[str, Any]]:
    """``workflows.create`` for the requests that arrived together: one insert for all."""
    new = [NewWorkflow(p["name"], p["building_id"], meta.idempotency_key) for p, meta in requests]
    workflows = workflow_create_many(new=new)
    for workflow, (_, meta) in zip(workflows, requests, strict=True):
        logger.info(
            "workflow %s for building %s (key %s)",
            workflow.pk,
            workflow.building_id,
            meta.idempotency_key,
            extra={"trace_id": meta.trace_id},
        )
    return WorkflowReplySerializer(workflows, many=True).data
