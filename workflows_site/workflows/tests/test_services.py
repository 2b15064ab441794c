"""Workflow services: idempotent creation, announced once per workflow created."""

from __future__ import annotations

import uuid
from datetime import datetime

from django.test import TestCase
from django.utils import timezone

from bridge.dispatch import validate
from bridge.outbox.models import OutboxMessage
from workflows_site.workflows.announcements import STATUS_CHANGED
from workflows_site.workflows.errors import BuildingDeleted
from workflows_site.workflows.models import DeletedBuilding, Workflow
from workflows_site.workflows.serializers import WorkflowStatusChangedSerializer
from workflows_site.workflows.services import NewWorkflow, workflow_create, workflow_create_many


class WorkflowCreateTests(TestCase):
    def test_it_returns_the_first_workflow_for_a_repeated_idempotency_key(self):
        first = workflow_create(name="New Workflow", building_id=1, idempotency_key="building-1")
        again = workflow_create(name="New Workflow", building_id=1, idempotency_key="building-1")
        self.assertEqual(first.pk, again.pk)
        self.assertEqual(Workflow.objects.count(), 1)

    def test_it_creates_separate_workflows_for_different_or_missing_keys(self):
        workflow_create(name="A", building_id=1, idempotency_key="k1")
        workflow_create(name="A", building_id=1, idempotency_key="k2")
        workflow_create(name="A", building_id=1)
        workflow_create(name="A", building_id=1)
        self.assertEqual(Workflow.objects.count(), 4)


class WorkflowCreateManyTests(TestCase):
    def test_it_creates_a_batch_in_order_with_one_workflow_per_key(self):
        existing = workflow_create(name="Old", building_id=9, idempotency_key="k-old")
        new = [
            NewWorkflow("A", 1, "k1"),
            NewWorkflow("B", 2, None),
            NewWorkflow("A again", 1, "k1"),
            NewWorkflow("Retry", 9, "k-old"),
            NewWorkflow("C", 3, None),
        ]

        created = workflow_create_many(new=new)

        self.assertEqual([w.building_id for w in created], [1, 2, 1, 9, 3])
        self.assertEqual(created[0].pk, created[2].pk)
        self.assertEqual(created[3].pk, existing.pk)
        self.assertEqual(len({w.pk for w in created}), 4)
        self.assertEqual(Workflow.objects.count(), 4)
        self.assertEqual(Workflow.objects.get(idempotency_key="k1").name, "A")


class CreationAnnouncementTests(TestCase):
    def announced(self) -> dict[str, dict]:
        return {m.key: m.payload for m in OutboxMessage.objects.filter(subject=STATUS_CHANGED)}

    def test_it_announces_each_workflow_created_once_and_a_replayed_request_not_again(self):
        workflow_create(name="Old", building_id=9, idempotency_key="k-old")
        before = set(self.announced())
        created = workflow_create_many(
            new=[
                NewWorkflow("A", 1, "k1", "maintenance"),
                NewWorkflow("A again", 1, "k1"),
                NewWorkflow("Retry", 9, "k-old"),
                NewWorkflow("B", 2),
            ]
        )

        new_events = {key: payload for key, payload in self.announced().items() if key not in before}
        self.assertEqual(set(new_events), {f"workflow-{created[0].pk}-v1", f"workflow-{created[3].pk}-v1"})
        first = new_events[f"workflow-{created[0].pk}-v1"]
        self.assertEqual(
            {key: value for key, value in first.items() if key not in ("id", "changedAt")},
            {
                "workflowId": created[0].pk,
                "buildingId": 1,
                "kind": "maintenance",
                "name": "A",
                "status": "new",
                "previousStatus": None,
                "version": 1,
            },
        )
        self.assertEqual(uuid.UUID(first["id"]).version, 4)
        self.assertEqual(datetime.fromisoformat(first["changedAt"]), created[0].created_at)
        self.assertEqual(validate(WorkflowStatusChangedSerializer, first)["workflowId"], created[0].pk)

    def test_a_batch_naming_a_deleted_building_creates_and_announces_nothing(self):
        DeletedBuilding.objects.create(building_id=7, deleted_at=timezone.now())

        with self.assertRaisesMessage(BuildingDeleted, "building 7 was deleted: no workflow is created for it"):
            workflow_create_many(new=[NewWorkflow("A", 1, "k1"), NewWorkflow("B", 7, "k2")])

        self.assertFalse(Workflow.objects.exists())
        self.assertFalse(OutboxMessage.objects.exists())

    def test_a_batch_naming_several_deleted_buildings_names_each_once_in_order(self):
        for building_id in (9, 3, 12):
            DeletedBuilding.objects.create(building_id=building_id, deleted_at=timezone.now())
        batch = [NewWorkflow("A", 12, "k1"), NewWorkflow("B", 3, "k2"), NewWorkflow("C", 5, "k3")]
        batch.append(NewWorkflow("D", 3, ""))

        with self.assertRaises(BuildingDeleted) as refused:
            workflow_create_many(new=batch)

        self.assertEqual(refused.exception.building_ids, [3, 12])
        self.assertFalse(Workflow.objects.exists())

    def test_a_replay_announces_nothing_even_after_delivered_events_were_cleared_from_the_outbox(self):
        # The outbox key alone would absorb a second announcement while the first row is kept;
        # an operator clearing delivered rows must not bring the creation back on a retry.
        workflow_create(name="A", building_id=1, idempotency_key="k1")
        OutboxMessage.objects.all().delete()

        workflow_create(name="A", building_id=1, idempotency_key="k1")

        self.assertFalse(OutboxMessage.objects.exists())
