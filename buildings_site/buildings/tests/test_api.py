"""The buildings REST API: validation, errors and the workflow hand-off."""

from __future__ import annotations

import orjson
from django.db import connection
from django.test import TestCase, TransactionTestCase, override_settings
from django.test.utils import CaptureQueriesContext

from bridge.outbox.models import OutboxMessage
from bridge.testing import NatsTestMixin, Responder
from buildings_site.buildings.models import Building
from buildings_site.buildings.services import building_create_with_workflow, first_workflow_key
from sitekit.testing import SignedInMixin


def workflow_reply(body: bytes, headers: dict[str, str]) -> tuple[bytes, dict[str, str]]:
    request = orjson.loads(body)
    return orjson.dumps(
        {"id": 900 + request["buildingId"], "name": request["name"], "buildingId": request["buildingId"]}
    ), {}


class BuildingValidationTests(SignedInMixin, TestCase):
    """Bad input is a 400 with field errors, unknown ids a 404; nothing is stored."""

    def test_it_rejects_a_missing_name(self):
        response = self.client.post("/api/buildings/", {}, content_type="application/json")
        self.assertEqual(response.status_code, 400)
        self.assertEqual(response.json(), {"name": ["This field is required."]})

    def test_it_rejects_a_number_as_a_name_instead_of_storing_it_as_text(self):
        response = self.client.post("/api/buildings/", {"name": 123}, content_type="application/json")
        self.assertEqual(response.status_code, 400)
        self.assertEqual(response.json(), {"name": ["Must be a string."]})

    def test_it_rejects_blank_and_overlong_names(self):
        for name in ["", "   ", "x" * 201]:
            response = self.client.post("/api/buildings/", {"name": name}, content_type="application/json")
            self.assertEqual(response.status_code, 400, name)
            self.assertIn("name", response.json())
        self.assertFalse(Building.objects.exists())
        self.assertFalse(OutboxMessage.objects.exists())

    def test_it_rejects_a_body_that_is_not_json(self):
        response = self.client.post("/api/buildings/", "{oops", content_type="application/json")
        self.assertEqual(response.status_code, 400)

    def test_it_answers_404_for_unknown_and_non_numeric_ids(self):
        self.assertEqual(self.client.get("/api/buildings/99999/").status_code, 404)
        self.assertEqual(self.client.get("/api/buildings/abc/").status_code, 404)
        self.assertEqual(self.client.delete("/api/buildings/99999/").status_code, 404)


class BuildingReadWriteTests(SignedInMixin, TestCase):
    def test_it_lists_buildings_newest_first_with_pagination(self):
        for index in range(3):
            Building.objects.create(name=f"B{index}")
        body = self.client.get("/api/buildings/").json()
        self.assertEqual(body["count"], 3)
        self.assertEqual([b["name"] for b in body["results"]], ["B2", "B1", "B0"])

    def test_it_renames_with_put_and_patch(self):
        building = Building.objects.create(name="Old")
        response = self.client.patch(f"/api/buildings/{building.pk}/", {"name": "New"}, content_type="application/json")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.json()["name"], "New")
        response = self.client.put(f"/api/buildings/{building.pk}/", {"name": ""}, content_type="application/json")
        self.assertEqual(response.status_code, 400)
        building.refresh_from_db()
        self.assertEqual(building.name, "New")

    def test_it_deletes_a_building_and_withdraws_its_unsent_workflow_request(self):
        with override_settings(NATS_URL="nats://127.0.0.1:1"):
            from bridge.client import reset_client

            reset_client()
            building = self.client.post("/api/buildings/", {"name": "Gone"}, content_type="application/json").json()
            reset_client()
        response = self.client.delete(f"/api/buildings/{building['id']}/")
        self.assertEqual(response.status_code, 204)
        self.assertFalse(OutboxMessage.objects.filter(key=first_workflow_key(building["id"])).exists())

    def test_it_serves_the_openapi_schema_and_docs(self):
        schema = self.client.get("/api/schema/", HTTP_ACCEPT="application/json")
        self.assertEqual(schema.status_code, 200)
        self.assertIn("/api/buildings/", schema.json()["paths"])
        self.assertEqual(self.client.get("/api/docs/").status_code, 200)


class BuildingWorkflowTests(SignedInMixin, NatsTestMixin, TransactionTestCase):
    """Creating a building asks ``workflows.create`` over a real NATS server."""

    def create(self, name: str = "HQ", **headers):
        return self.client.post("/api/buildings/", {"name": name}, content_type="application/json", **headers)

    def test_it_saves_the_building_as_pending_when_no_workflows_service_answers(self):
        response = self.create()
        self.assertEqual(response.status_code, 201)
        self.assertEqual(response.json()["workflow_status"], "pending")
        self.assertIsNone(response.json()["workflow_id"])
        message = OutboxMessage.objects.get()
        self.assertEqual(message.state, "pending")
        self.assertEqual(message.payload, {"name": "New Workflow", "buildingId": response.json()["id"]})

    def test_it_returns_the_workflow_id_when_the_workflows_service_answers(self):
        with Responder(self.nats.url, "workflows.create", workflow_reply) as peer:
            response = self.create(HTTP_X_TRACE_ID="trace-abc-123")
        building = response.json()
        self.assertEqual(response.status_code, 201)
        self.assertEqual((building["workflow_status"], building["workflow_id"]), ("created", 900 + building["id"]))
        self.assertEqual(OutboxMessage.objects.get().state, "delivered")
        [(body, headers)] = peer.received
        self.assertEqual(orjson.loads(body), {"name": "New Workflow", "buildingId": building["id"]})
        self.assertEqual(headers["Idempotency-Key"], first_workflow_key(building["id"]))
        self.assertEqual(headers["Trace-Id"], "trace-abc-123")
        self.assertEqual(response["X-Trace-Id"], "trace-abc-123")

    def test_it_creates_in_one_statement_and_attaches_in_one_short_transaction_without_reading_anything_back(self):
        with Responder(self.nats.url, "workflows.create", workflow_reply), CaptureQueriesContext(connection) as queries:
            building = building_create_with_workflow(name="HQ")
        self.assertEqual((building.workflow_status, building.workflow_id), ("created", 900 + building.pk))
        building.refresh_from_db()
        self.assertEqual((building.workflow_status, building.workflow_id), ("created", 900 + building.pk))
        statements = [query["sql"].split()[0] for query in queries.captured_queries]
        # The building and its outbox row: one WITH ... INSERT; then the outbox row marked
        # delivered and the workflow attached together.
        self.assertEqual(statements, ["WITH", "BEGIN", "UPDATE", "UPDATE", "COMMIT"])

    def test_it_marks_the_workflow_failed_when_the_workflows_service_refuses_for_good(self):
        def refuse(body, headers):
            return orjson.dumps({"error": {"status": 400, "message": "Invalid payload"}}), {
                "Nats-Service-Error": "Invalid payload",
                "Nats-Service-Error-Code": "400",
            }

        with Responder(self.nats.url, "workflows.create", refuse):
            building = self.create().json()
        self.assertEqual(building["workflow_status"], "failed")
        self.assertEqual(Building.objects.get().workflow_status, "failed")
        self.assertEqual(OutboxMessage.objects.get().state, "failed")


class MetricsTests(SignedInMixin, TestCase):
    def test_it_exposes_request_metrics_in_prometheus_format(self):
        self.client.get("/api/buildings/")
        response = self.client.get("/metrics")
        self.assertEqual(response.status_code, 200)
        self.assertIn("django_http_requests_total_by_view_transport_method_total", response.content.decode())

    def test_it_counts_responses_by_status_and_times_them_by_view(self):
        building = Building.objects.create(name="B")
        self.client.get(f"/api/buildings/{building.pk}/")
        self.client.get("/api/buildings/99999/")
        metrics = self.client.get("/metrics").content.decode()
        responses = (
            'django_http_responses_total_by_status_view_method_total{method="GET",status="%s",view="building-detail"}'
        )
        self.assertIn(responses % "200", metrics)
        self.assertIn(responses % "404", metrics)
        self.assertIn(
            'django_http_requests_latency_seconds_by_view_method_count{method="GET",view="building-detail"}', metrics
        )
