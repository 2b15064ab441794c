"""Status transitions, checked by one rule over REST, over ``workflows.transition`` and in the services.

new -> active -> completed | cancelled, and new -> cancelled; anything else (the same status
again included) is refused with a 400 naming the workflow and both statuses, and changes
nothing: no status, no version, no event.
"""

from __future__ import annotations

import orjson
from django.test import TestCase

from bridge.dispatch import answer_request
from bridge.outbox.models import OutboxMessage
from bridge.routes import Meta, load_routes
from sitekit.testing import SignedInMixin
from workflows_site.workflows.announcements import STATUS_CHANGED
from workflows_site.workflows.models import Workflow
from workflows_site.workflows.tests.factories import ILLEGAL, LEGAL, workflow_in

TRANSITION = next(route for route in load_routes().routes if route.subject == "workflows.transition")


def ask_transition(body: dict | bytes):
    raw = body if isinstance(body, bytes) else orjson.dumps(body)
    answer = answer_request(TRANSITION, raw, Meta(subject="workflows.transition", trace_id="t"))
    return answer, orjson.loads(answer.body)


def events_of(workflow: Workflow) -> list[dict]:
    """The payloads announced for ``workflow``, oldest first."""
    messages = OutboxMessage.objects.filter(subject=STATUS_CHANGED, key__startswith=f"workflow-{workflow.pk}-v")
    return [message.payload for message in messages.order_by("id")]


def refusal(workflow: Workflow, before: str, after: str) -> str:
    return f"cannot move workflow {workflow.pk} from {before} to {after}"


class RestTransitionTests(SignedInMixin, TestCase):
    def patch(self, workflow: Workflow, body: dict):
        return self.client.patch(f"/api/workflows/{workflow.pk}/", body, content_type="application/json")

    def test_every_legal_transition_moves_the_workflow_counts_its_version_up_and_announces_it(self):
        for before, after in sorted(LEGAL):
            with self.subTest(f"{before} -> {after}"):
                workflow = workflow_in(before)
                response = self.patch(workflow, {"status": after})
                self.assertEqual(response.status_code, 200, response.json())
                self.assertEqual((response.json()["status"], response.json()["version"]), (after, workflow.version + 1))
                last = events_of(workflow)[-1]
                self.assertEqual((last["previousStatus"], last["status"]), (before, after))
                self.assertEqual(last["version"], workflow.version + 1)

    def test_every_illegal_transition_is_a_400_naming_both_statuses_and_changes_nothing(self):
        for before, after in ILLEGAL:
            with self.subTest(f"{before} -> {after}"):
                workflow = workflow_in(before)
                announced = len(events_of(workflow))
                response = self.patch(workflow, {"status": after})
                self.assertEqual(response.status_code, 400)
                self.assertEqual(response.json(), {"status": [refusal(workflow, before, after)]})
                stored = Workflow.objects.get(pk=workflow.pk)
                self.assertEqual((stored.status, stored.version), (before, workflow.version))
                self.assertEqual(len(events_of(workflow)), announced)

    def test_a_put_with_a_refused_status_keeps_the_new_name_out_too(self):
        workflow = workflow_in("completed", name="Inspect")
        response = self.client.put(
            f"/api/workflows/{workflow.pk}/",
            {"name": "Renamed", "building_id": 1, "status": "active"},
            content_type="application/json",
        )
        self.assertEqual(response.status_code, 400)
        self.assertEqual(Workflow.objects.get(pk=workflow.pk).name, "Inspect")

    def test_a_change_of_name_only_is_no_status_change_and_announces_nothing(self):
        workflow = workflow_in("active")
        response = self.patch(workflow, {"name": "Renamed"})
        self.assertEqual((response.json()["status"], response.json()["version"]), ("active", 2))
        self.assertEqual(len(events_of(workflow)), 2)

    def test_a_workflow_is_created_as_new_only(self):
        response = self.client.post(
            "/api/workflows/", {"name": "W", "building_id": 1, "status": "active"}, content_type="application/json"
        )
        self.assertEqual(response.status_code, 400)
        self.assertEqual(
            response.json(), {"status": ["a workflow starts as new, not active: create it, then move it on"]}
        )
        self.assertFalse(Workflow.objects.exists())

    def test_the_kind_is_chosen_at_creation_and_kept(self):
        created = self.client.post(
            "/api/workflows/", {"name": "W", "building_id": 1, "kind": "maintenance"}, content_type="application/json"
        ).json()
        self.assertEqual((created["kind"], created["status"], created["version"]), ("maintenance", "new", 1))
        workflow = Workflow.objects.get()
        response = self.patch(workflow, {"kind": "general"})
        self.assertEqual(response.status_code, 400)
        self.assertEqual(
            response.json(), {"kind": [f"the kind of workflow {workflow.pk} is maintenance: it is set at creation"]}
        )
        self.assertEqual(self.patch(workflow, {"kind": "maintenance", "status": "active"}).status_code, 200)

    def test_an_unknown_kind_is_a_400_with_a_field_error(self):
        response = self.client.post(
            "/api/workflows/", {"name": "W", "building_id": 1, "kind": "urgent"}, content_type="application/json"
        )
        self.assertEqual(response.status_code, 400)
        self.assertEqual(response.json(), {"kind": ['"urgent" is not a valid choice.']})
        self.assertEqual(self.client.get("/api/workflows/?kind=urgent").status_code, 400)

    def test_it_lists_workflows_of_one_kind(self):
        workflow_in("new", kind="maintenance")
        workflow_in("new")
        body = self.client.get("/api/workflows/?kind=maintenance").json()
        self.assertEqual([w["kind"] for w in body["results"]], ["maintenance"])

    def test_deleting_an_open_workflow_announces_its_end_first(self):
        workflow = workflow_in("active", kind="maintenance")
        self.assertEqual(self.client.delete(f"/api/workflows/{workflow.pk}/").status_code, 204)
        last = events_of(workflow)[-1]
        self.assertEqual((last["previousStatus"], last["status"], last["version"]), ("active", "cancelled", 3))
        self.assertFalse(Workflow.objects.exists())


class NatsTransitionTests(TestCase):
    def test_every_legal_transition_answers_the_workflow_as_it_is_now(self):
        for before, after in sorted(LEGAL):
            with self.subTest(f"{before} -> {after}"):
                workflow = workflow_in(before, kind="response")
                answer, body = ask_transition({"id": workflow.pk, "status": after})
                self.assertIsNone(answer.headers)
                self.assertEqual(
                    body,
                    {"id": workflow.pk, "name": "Inspect", "buildingId": 1, "kind": "response", "status": after},
                )
                self.assertEqual(Workflow.objects.get(pk=workflow.pk).version, workflow.version + 1)

    def test_every_illegal_transition_is_a_400_error_reply_with_the_reason(self):
        for before, after in ILLEGAL:
            with self.subTest(f"{before} -> {after}"):
                workflow = workflow_in(before)
                answer, body = ask_transition({"id": workflow.pk, "status": after})
                message = refusal(workflow, before, after)
                self.assertEqual(answer.headers, {"Nats-Service-Error": message, "Nats-Service-Error-Code": "400"})
                self.assertEqual(body, {"error": {"status": 400, "message": message, "errors": {"status": [message]}}})
                self.assertEqual(Workflow.objects.get(pk=workflow.pk).status, before)

    def test_an_unknown_workflow_is_a_404(self):
        answer, body = ask_transition({"id": 424242, "status": "active"})
        self.assertEqual(answer.headers["Nats-Service-Error-Code"], "404")
        self.assertEqual(body, {"error": {"status": 404, "message": "workflow 424242 does not exist"}})

    def test_a_malformed_request_is_a_400_with_field_errors(self):
        answer, body = ask_transition(b'{"id": "1", "status": "done"}')
        self.assertEqual(answer.headers["Nats-Service-Error-Code"], "400")
        self.assertEqual(
            body["error"]["errors"], {"id": ["Must be an integer."], "status": ['"done" is not a valid choice.']}
        )

    def test_a_nestjs_request_gets_its_refusal_in_the_nestjs_envelope(self):
        workflow = workflow_in("completed")
        request = {"pattern": "workflows.transition", "data": {"id": workflow.pk, "status": "active"}, "id": "n-1"}
        _, body = ask_transition(request)
        self.assertEqual(body["err"]["code"], 400)
        self.assertEqual(body["err"]["message"], refusal(workflow, "completed", "active"))
        self.assertEqual(body["id"], "n-1")
