"""The workflows admin: the kind shown and filterable, every write through the services."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.test import TestCase
from django.utils import timezone

from bridge.outbox.models import OutboxMessage
from workflows_site.workflows.models import DeletedBuilding, Workflow
from workflows_site.workflows.tests.factories import workflow_in

CHANGELIST = "/admin/workflows/workflow/"


def announced() -> list[tuple[int, str | None, str, int]]:
    """(workflow, previous status, status, version) of every event stored, oldest first."""
    return [
        (m.payload["workflowId"], m.payload["previousStatus"], m.payload["status"], m.payload["version"])
        for m in OutboxMessage.objects.order_by("id")
    ]


class WorkflowAdminTests(TestCase):
    def setUp(self):
        self.client.force_login(User.objects.create_superuser("admin", "admin@example.com", "pw"))

    def act(self, action: str, *workflows: Workflow):
        selected = [workflow.pk for workflow in workflows]
        return self.client.post(CHANGELIST, {"action": action, "_selected_action": selected}, follow=True)

    def test_it_shows_the_kind_and_filters_by_it(self):
        workflow_in("new", kind="maintenance", name="Boiler service")
        workflow_in("new", name="Paperwork")

        response = self.client.get(CHANGELIST + "?kind__exact=maintenance")

        self.assertContains(response, "Boiler service")
        self.assertContains(response, '<td class="field-kind">Maintenance</td>', html=True)
        self.assertNotContains(response, "Paperwork")

    def test_a_bulk_action_moves_the_selected_workflows_and_announces_each(self):
        first, second = workflow_in("new"), workflow_in("new")
        OutboxMessage.objects.all().delete()

        response = self.act("move_to_active", first, second)

        self.assertContains(response, "2 workflows moved to active.")
        self.assertEqual(set(Workflow.objects.values_list("status", flat=True)), {"active"})
        self.assertEqual(announced(), [(first.pk, "new", "active", 2), (second.pk, "new", "active", 2)])

    def test_a_bulk_action_with_an_illegal_move_changes_none_and_says_why(self):
        new, completed = workflow_in("new"), workflow_in("completed")
        before = announced()

        response = self.act("move_to_cancelled", new, completed)

        self.assertContains(
            response, f"Nothing changed: cannot move workflow {completed.pk} from completed to cancelled."
        )
        self.assertEqual(Workflow.objects.get(pk=new.pk).status, "new")
        self.assertEqual(announced(), before)

    def test_a_workflow_added_here_starts_new_and_is_announced(self):
        response = self.client.post(
            CHANGELIST + "add/", {"name": "Added", "building_id": 3, "kind": "response", "status": "completed"}
        )

        self.assertEqual(response.status_code, 302)
        workflow = Workflow.objects.get()
        self.assertEqual((workflow.kind, workflow.status, workflow.version), ("response", "new", 1))
        self.assertEqual(announced(), [(workflow.pk, None, "new", 1)])

    def test_the_change_form_renames_but_keeps_status_and_kind(self):
        workflow = workflow_in("active", kind="maintenance")
        form = {"name": "Renamed", "building_id": 1, "kind": "general", "status": "completed"}

        self.client.post(f"{CHANGELIST}{workflow.pk}/change/", form)

        stored = Workflow.objects.get()
        self.assertEqual(
            (stored.name, stored.kind, stored.status, stored.version), ("Renamed", "maintenance", "active", 2)
        )

    def test_it_refuses_a_deleted_building_on_the_form(self):
        DeletedBuilding.objects.create(building_id=9, deleted_at=timezone.now())

        response = self.client.post(CHANGELIST + "add/", {"name": "Late", "building_id": 9, "kind": "general"})

        self.assertContains(response, "Building 9 was deleted: it gets no workflow.")
        self.assertFalse(Workflow.objects.exists())

    def test_deleting_open_workflows_here_announces_their_end_one_by_one_or_in_bulk(self):
        active, new = workflow_in("active"), workflow_in("new")
        OutboxMessage.objects.all().delete()

        self.client.post(f"{CHANGELIST}{active.pk}/delete/", {"post": "yes"})
        self.client.post(CHANGELIST, {"action": "delete_selected", "_selected_action": [new.pk], "post": "yes"})

        self.assertFalse(Workflow.objects.exists())
        self.assertEqual(announced(), [(active.pk, "active", "cancelled", 3), (new.pk, "new", "cancelled", 2)])
