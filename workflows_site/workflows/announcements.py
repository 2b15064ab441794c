"""``workflow.status_changed``: the event every creation and every status change of a workflow announces.

Stored in the outbox inside the transaction that makes the change (``outbox_announce_many``),
so an event exists exactly when its change was committed; the bridge's relay publishes it
onto the ``WORKFLOWS`` stream with its key as ``Nats-Msg-Id``. Readers (the alarms and
buildings sites) apply an event only when its ``version`` is newer than the one they hold,
so they may receive them late, twice or out of order.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bridge.outbox.announce import outbox_announce_many
from natswire.tracing import current_trace_id
from workflows_site.workflows.models import Workflow

STATUS_CHANGED = "workflow.status_changed"


def status_changed_key(workflow: Workflow) -> str:
    """The event's outbox key and ``Nats-Msg-Id``: one event per workflow and version."""
    return f"workflow-{workflow.pk}-v{workflow.version}"


def status_changed_payload(workflow: Workflow, *, previous_status: str | None, changed_at: datetime) -> dict[str, Any]:
    """The event as the contract (docs/nats-contract.md) shapes it, for the workflow as it is now.

    Built by hand rather than by ``WorkflowStatusChangedSerializer``, which the AsyncAPI
    check holds against the document: a batch of creations announces hundreds at once.
    """
    return {
        "id": str(uuid.uuid4()),  # stored with the event, so every re-publish carries the same id
        "workflowId": workflow.pk,
        "buildingId": workflow.building_id,
        "kind": workflow.kind,
        "name": workflow.name,
        "status": workflow.status,
        "previousStatus": previous_status,
        "version": workflow.version,
        "changedAt": changed_at.isoformat(),
    }


def announce_created(workflows: Sequence[Workflow]) -> None:
    """Announce workflows just inserted (``previousStatus`` null, version 1); call in their transaction."""
    _announce([(workflow, None, workflow.created_at) for workflow in workflows])


def announce_status_changed(workflows: Sequence[Workflow], *, previous: dict[int, str], changed_at: datetime) -> None:
    """Announce workflows whose status just changed from ``previous[pk]``; call in their transaction."""
    _announce([(workflow, previous[workflow.pk], changed_at) for workflow in workflows])


def _announce(changes: list[tuple[Workflow, str | None, datetime]]) -> None:
    if not changes:
        return
    events = [
        (status_changed_key(workflow), status_changed_payload(workflow, previous_status=previous, changed_at=at))
        for workflow, previous, at in changes
    ]
    outbox_announce_many(subject=STATUS_CHANGED, events=events, trace_id=current_trace_id())
