"""NATS handlers of workflows_site: take a validated payload, call a service, return a dict."""

from __future__ import annotations

import logging
from typing import Any

from bridge.routes import Meta
from workflows_site.workflows.serializers import WorkflowReplySerializer
from workflows_site.workflows.services import workflow_create

logger = logging.getLogger(__name__)


def create_workflow(payload: dict[str, Any], meta: Meta) -> dict[str, Any]:
    """``workflows.create``: create (or, on a retry, find) the workflow."""
    workflow = workflow_create(
        name=payload["name"], building_id=payload["building_id"], idempotency_key=meta.idempotency_key
    )
    logger.info("workflow %s for building %s (key %s)", workflow.pk, workflow.building_id, meta.idempotency_key)
    return WorkflowReplySerializer(workflow).data
