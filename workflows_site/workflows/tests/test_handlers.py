"""``workflows.create`` as the bridge dispatches it: validation, kinds, envelopes, idempotency."""

from __future__ import annotations

import orjson
from django.test import TestCase

from bridge.dispatch import answer_request
from bridge.routes import Meta, load_routes
from workflows_site.workflows.models import Workflow

ROUTE = next(route for route in load_routes().routes if route.subject == "workflows.create")


def ask(body: bytes, key: str | None = None):
    answer = answer_request(ROUTE, body, Meta(subject="workflows.create", trace_id="t", idempotency_key=key))
    return answer, orjson.loads(answer.body)


class CreateWorkflowHandlerTests(TestCase):
    def test_it_answers_in_the_wire_contract_shape(self):
        answer, body = ask(b'{"name": "New Workflow", "buildingId": 3}')
        workflow = Workflow.objects.get()
        self.assertIsNone(answer.headers)
        self.assertEqual(
            body, {"id": workflow.pk, "name": "New Workflow", "buildingId": 3, "kind": "general", "status": "new"}
        )

    def test_it_answers_a_retry_with_the_same_workflow(self):
        _, first = ask(b'{"name": "New Workflow", "buildingId": 3}', key="building-3-first-workflow")
        _, again = ask(b'{"name": "New Workflow", "buildingId": 3}', key="building-3-first-workflow")
        self.assertEqual(first, again)
        self.assertEqual(Workflow.objects.count(), 1)

    def test_it_creates_a_workflow_of_the_kind_asked_for(self):
        _, body = ask(b'{"name": "Fire alarm", "buildingId": 3, "kind": "response"}')
        self.assertEqual((body["kind"], Workflow.objects.get().kind), ("response", "response"))

    def test_it_refuses_an_unknown_kind_with_a_field_error(self):
        answer, body = ask(b'{"name": "X", "buildingId": 3, "kind": "urgent"}')
        self.assertEqual(answer.headers["Nats-Service-Error-Code"], "400")
        self.assertEqual(body["error"]["errors"], {"kind": ['"urgent" is not a valid choice.']})
        self.assertFalse(Workflow.objects.exists())

    def test_it_refuses_wrong_types_without_storing_anything(self):
        answer, body = ask(b'{"name": 123, "buildingId": "1"}')
        self.assertEqual(answer.headers["Nats-Service-Error-Code"], "400")
        self.assertEqual(
            body["error"]["errors"], {"name": ["Must be a string."], "buildingId": ["Must be an integer."]}
        )
        self.assertFalse(Workflow.objects.exists())

    def test_it_answers_nestjs_envelopes_in_kind(self):
        _, body = ask(b'{"pattern":"workflows.create","data":{"name":"New Workflow","buildingId":1},"id":"abc"}')
        self.assertEqual(
            body,
            {
                "response": {
                    "id": Workflow.objects.get().pk,
                    "name": "New Workflow",
                    "buildingId": 1,
                    "kind": "general",
                    "status": "new",
                },
                "isDisposed": True,
                "id": "abc",
            },
        )
        _, error = ask(b'{"pattern":"workflows.create","data":{"name":"x"},"id":"def"}')
        self.assertEqual(error["err"]["status"], "error")
        self.assertEqual(error["err"]["errors"], {"buildingId": ["This field is required."]})
        self.assertEqual((error["isDisposed"], error["id"]), (True, "def"))
