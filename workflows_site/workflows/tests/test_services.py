"""Workflow services: idempotent creation."""

from __future__ import annotations

from django.test import TestCase

from workflows_site.workflows.models import Workflow
from workflows_site.workflows.services import workflow_create


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
