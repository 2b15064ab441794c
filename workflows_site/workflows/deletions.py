"""Buildings deleted on the buildings site (``building.deleted``): their workflows end, and no new one starts.

A building deleted while a request for its first workflow is still unsent has that request
withdrawn by the buildings site. A request already in flight (or a retry of it, or an
alarm's response workflow) may still arrive *after* the deletion was handled here. Such a
request is refused (``BuildingDeleted``, a 409 error reply) rather than answered with a
workflow created cancelled: the caller learns at once that the building is gone, its outbox
stops retrying (a 4xx is final), and no workflow is left behind for a building that does
not exist, which is what the issue asks. That needs the deleted ids kept for good
(``DeletedBuilding``), as a retry may come any time later.

Creating and deleting may run at the same moment on different replicas. Each creation holds
a shared lock while it checks and inserts, and a deletion takes the same lock exclusively
before it records the building and cancels its open workflows: the deletion waits for the
creations in flight (and then cancels what they made), and a creation that starts meanwhile
waits for the deletion (and then sees the building deleted). Creations never wait for each
other; deletions are rare.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db import connections, router, transaction

from sitekit.locks import hold_transaction_lock
from sitekit.sql import placeholders
from workflows_site.workflows.errors import BuildingDeleted
from workflows_site.workflows.models import OPEN_STATUSES, DeletedBuilding, Workflow, WorkflowStatus
from workflows_site.workflows.transitions import workflows_transition

# Key of the advisory lock between creations (shared) and deletions (exclusive); this
# database's own, so it need not differ from the other sites' keys.
_DELETIONS_LOCK = 7_406_101


def refuse_deleted_buildings(building_ids: Iterable[int]) -> None:
    """Raise ``BuildingDeleted`` when one of ``building_ids`` was deleted; call in the transaction that creates.

    Holds the shared lock until that transaction ends, so a deletion cannot slip in between
    this check and the insert.
    """
    hold_transaction_lock(_DELETIONS_LOCK, shared=True)
    deleted_ids = _deleted_among(sorted(set(building_ids)))
    if deleted_ids:
        raise BuildingDeleted(deleted_ids)


def _deleted_among(building_ids: list[int]) -> list[int]:
    """Which of ``building_ids`` were deleted, ascending.

    Written out: every batch of ``workflows.create`` asks, and the ORM compiling this one
    query each time cost a twentieth of a workflows bridge's CPU.
    """
    if not building_ids:
        return []
    connection = connections[router.db_for_write(DeletedBuilding)]
    quote = connection.ops.quote_name
    column = quote(DeletedBuilding._meta.get_field("building_id").column)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {column} FROM {quote(DeletedBuilding._meta.db_table)} "
            f"WHERE {column} IN ({placeholders(building_ids)}) ORDER BY {column}",
            building_ids,
        )
        return [row[0] for row in cursor.fetchall()]


@transaction.atomic
def buildings_deleted_record(*, deleted_at: dict[int, datetime]) -> list[Workflow]:
    """Remember the deleted buildings (id -> when) and cancel their open workflows; returns those cancelled.

    Idempotent: a building already known is kept as first recorded, and its workflows are
    cancelled already, so a redelivered event changes nothing and announces nothing.
    """
    hold_transaction_lock(_DELETIONS_LOCK)
    DeletedBuilding.objects.bulk_create(
        [DeletedBuilding(building_id=building_id, deleted_at=at) for building_id, at in deleted_at.items()],
        ignore_conflicts=True,
    )
    open_workflows = Workflow.objects.filter(building_id__in=list(deleted_at), status__in=OPEN_STATUSES)
    return workflows_transition(workflows=open_workflows, status=WorkflowStatus.CANCELLED)
