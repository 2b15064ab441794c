"""Writes on buildings. Each building gets its first workflow through the outbox."""

from __future__ import annotations

import logging
import uuid

from django.db import transaction
from django.utils import timezone

from bridge.outbox.create import create_with_request, key_for
from bridge.outbox.models import OutboxMessage
from bridge.outbox.services import PENDING, outbox_announce, outbox_deliver_now
from buildings_site.buildings.models import Building, WorkflowSeen, WorkflowStatus
from natswire.tracing import current_trace_id

logger = logging.getLogger(__name__)

WORKFLOWS_CREATE = "workflows.create"
BUILDING_DELETED = "building.deleted"
FIRST_WORKFLOW_NAME = "New Workflow"
FIRST_WORKFLOW_KEY = "building-{pk}-first-workflow"


def first_workflow_key(building_id: int) -> str:
    """The idempotency key of a building's first workflow: one building, one workflow."""
    return key_for(FIRST_WORKFLOW_KEY, building_id)


def building_create(*, name: str) -> Building:
    """Save the building and, in the same statement, its request for a first workflow."""
    return _building_create(name=name)[0]


def _building_create(*, name: str) -> tuple[Building, OutboxMessage]:
    return create_with_request(
        Building(name=name),
        subject=WORKFLOWS_CREATE,
        payload={"name": FIRST_WORKFLOW_NAME},
        pk_into="buildingId",
        key_template=FIRST_WORKFLOW_KEY,
        trace_id=current_trace_id(),
    )


def building_create_with_workflow(*, name: str) -> Building:
    """Create a building and ask for its workflow at once.

    When the workflows service is down or slow, the building is still saved and shown as
    pending; the bridge's outbox relay finishes the job later. On the usual path the
    building is shown as it was just written, without reading it back.
    """
    building, message = _building_create(name=name)
    delivery = outbox_deliver_now(message=message)
    if delivery.applied is not None:  # the workflow ``handlers.workflow_created`` attached
        building.workflow_id = delivery.applied["id"]
        building.workflow_status = WorkflowStatus.CREATED
    elif delivery.state != PENDING:  # refused for good, or applied by the relay meanwhile
        building.refresh_from_db(fields=["workflow_id", "workflow_status"])
    return building


def building_update(*, building: Building, name: str) -> Building:
    """Rename a building."""
    building.name = name
    building.save(update_fields=["name", "updated_at"])
    return building


@transaction.atomic
def building_delete(*, building: Building) -> None:
    """Delete a building and its unsent workflow request, and announce ``building.deleted``.

    Withdrawing the request means no orphan workflow is created; the announcement, stored in
    the same transaction, has the workflows service cancel the building's open workflows and
    the alarms service close its open alarms, whenever each of them is up to read it.
    """
    OutboxMessage.objects.filter(key=first_workflow_key(building.pk), delivered_at__isnull=True).delete()
    building_id = building.pk
    WorkflowSeen.objects.filter(building_id=building_id).delete()
    building.delete()
    payload = {"id": str(uuid.uuid4()), "buildingId": building_id, "deletedAt": timezone.now().isoformat()}
    outbox_announce(
        subject=BUILDING_DELETED, payload=payload, key=f"building-{building_id}-deleted", trace_id=current_trace_id()
    )


def building_workflow_attach(*, building_id: int, workflow_id: int) -> None:
    """Record the workflow the workflows service created for a building (idempotent)."""
    updated = Building.objects.filter(pk=building_id).update(
        workflow_id=workflow_id, workflow_status=WorkflowStatus.CREATED
    )
    if not updated:
        logger.warning("workflow %s created for building %s, which no longer exists", workflow_id, building_id)


def building_workflow_fail(*, building_id: int, reason: str) -> None:
    """The workflows service refused the request for good; show it instead of pending forever."""
    Building.objects.filter(pk=building_id, workflow_id__isnull=True).update(workflow_status=WorkflowStatus.FAILED)
    logger.error("building %s will have no workflow: %s", building_id, reason)
