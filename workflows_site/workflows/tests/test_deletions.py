"""A deleted building: its open workflows are cancelled once, and no workflow is created for it afterwards.

Creation and deletion racing on two replicas are played out with two threads, each on its
own database connection, as two bridge workers would be.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime

from django.db import connection, transaction
from django.test import TestCase, TransactionTestCase

from bridge.outbox.models import OutboxMessage
from sitekit.testing import SignedInMixin
from workflows_site.workflows.announcements import STATUS_CHANGED
from workflows_site.workflows.deletions import buildings_deleted_record
from workflows_site.workflows.errors import BuildingDeleted
from workflows_site.workflows.handlers import buildings_deleted
from workflows_site.workflows.models import DeletedBuilding, Workflow
from workflows_site.workflows.services import workflow_create
from workflows_site.workflows.tests.factories import workflow_in

DELETED_AT = datetime(2025, 5, 1, 10, 0, tzinfo=UTC)


def cancellations() -> list[tuple[int, str, int]]:
    """(workflow, previous status, version) of every cancellation announced."""
    messages = OutboxMessage.objects.filter(subject=STATUS_CHANGED, payload__status="cancelled").order_by("id")
    return [(m.payload["workflowId"], m.payload["previousStatus"], m.payload["version"]) for m in messages]


class BuildingDeletedTests(SignedInMixin, TestCase):
    def test_it_cancels_the_buildings_open_workflows_once_however_often_it_is_told(self):
        new, active = workflow_in("new", building_id=7), workflow_in("active", building_id=7)
        completed, elsewhere = workflow_in("completed", building_id=7), workflow_in("new", building_id=8)
        event = {"id": "0b7c2a52-43f4-4c3f-9a52-2f1f5c9d8e11", "building_id": 7, "deleted_at": DELETED_AT}

        buildings_deleted([event])
        buildings_deleted([event, event])

        statuses = dict(Workflow.objects.values_list("pk", "status"))
        self.assertEqual(
            statuses,
            {new.pk: "cancelled", active.pk: "cancelled", completed.pk: "completed", elsewhere.pk: "new"},
        )
        self.assertEqual(cancellations(), [(new.pk, "new", 2), (active.pk, "active", 3)])
        self.assertEqual(list(DeletedBuilding.objects.values_list("building_id", "deleted_at")), [(7, DELETED_AT)])

    def test_a_request_for_a_deleted_buildings_workflow_is_refused_with_a_409(self):
        buildings_deleted([{"id": "0b7c2a52-43f4-4c3f-9a52-2f1f5c9d8e11", "building_id": 7}])

        response = self.client.post("/api/workflows/", {"name": "W", "building_id": 7}, content_type="application/json")
        moved = workflow_in("new", building_id=8)
        moving = self.client.patch(f"/api/workflows/{moved.pk}/", {"building_id": 7}, content_type="application/json")

        self.assertEqual(response.status_code, 409)
        self.assertEqual(response.json(), {"building_id": ["building 7 was deleted: no workflow is created for it"]})
        self.assertEqual(moving.status_code, 409)
        self.assertEqual(list(Workflow.objects.values_list("building_id", flat=True)), [8])


def in_thread(work: Callable[[], object]) -> threading.Thread:
    """Run ``work`` on its own database connection, as another replica would."""

    def run() -> None:
        try:
            work()
        finally:
            connection.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def waits_for(holder: Callable[[], object], contender: Callable[[], object]) -> bool:
    """Whether ``contender`` had to wait while ``holder``'s transaction was open (each on its own connection).

    ``holder`` runs in a transaction kept open for half a second after ``contender`` started;
    then it commits, and both are waited for.
    """
    holding, release = threading.Event(), threading.Event()

    def hold() -> None:
        with transaction.atomic():
            holder()
            holding.set()
            release.wait(10)

    holding_thread = in_thread(hold)
    assert holding.wait(10), "the holder did not get through"
    contending_thread = in_thread(contender)
    contending_thread.join(0.5)
    waited = contending_thread.is_alive()
    release.set()
    holding_thread.join(10)
    contending_thread.join(10)
    return waited


class CreationAndDeletionRaceTests(TransactionTestCase):
    def test_a_deletion_waits_for_a_creation_in_flight_then_cancels_what_it_made(self):
        waited = waits_for(
            lambda: workflow_create(name="In flight", building_id=7),
            lambda: buildings_deleted_record(deleted_at={7: DELETED_AT}),
        )

        self.assertTrue(waited, "the deletion did not wait for the creation in flight")
        self.assertEqual(Workflow.objects.get().status, "cancelled")

    def test_a_creation_waits_for_a_deletion_in_flight_then_is_refused(self):
        refusals: list[BuildingDeleted] = []

        def create() -> None:
            try:
                workflow_create(name="Late", building_id=7)
            except BuildingDeleted as refusal:
                refusals.append(refusal)

        waited = waits_for(lambda: buildings_deleted_record(deleted_at={7: DELETED_AT}), create)

        self.assertTrue(waited, "the creation did not wait for the deletion in flight")
        self.assertEqual([refusal.building_ids for refusal in refusals], [[7]])
        self.assertFalse(Workflow.objects.exists())
