"""The workflows REST API."""

from __future__ import annotations

from django.test import TestCase

from sitekit.testing import SignedInMixin
from workflows_site.workflows.models import Workflow


class WorkflowApiTests(SignedInMixin, TestCase):
    def post(self, payload):
        return self.client.post("/api/workflows/", payload, content_type="application/json")

    def test_it_creates_reads_updates_and_deletes_a_workflow(self):
        created = self.post({"name": "Inspect", "building_id": 4})
        self.assertEqual(created.status_code, 201)
        url = f"/api/workflows/{created.json()['id']}/"
        self.assertEqual(self.client.get(url).json()["status"], "new")
        patched = self.client.patch(url, {"status": "active"}, content_type="application/json")
        self.assertEqual(patched.json()["status"], "active")
        self.assertEqual(self.client.delete(url).status_code, 204)
        self.assertEqual(self.client.get(url).status_code, 404)

    def test_it_answers_400_with_field_errors_and_stores_nothing(self):
        response = self.post({"name": 5, "building_id": "7", "status": "bogus"})
        self.assertEqual(response.status_code, 400)
        self.assertEqual(set(response.json()), {"name", "building_id", "status"})
        self.assertEqual(self.post({"name": "x", "building_id": 0}).status_code, 400)
        self.assertFalse(Workflow.objects.exists())

    def test_it_filters_by_building_id(self):
        for building_id in (1, 1, 2):
            Workflow.objects.create(name="W", building_id=building_id)
        body = self.client.get("/api/workflows/?building_id=1").json()
        self.assertEqual(body["count"], 2)
        self.assertEqual({w["building_id"] for w in body["results"]}, {1})

    def test_it_applies_list_filters_to_lists_only_not_to_one_workflow(self):
        workflow = Workflow.objects.create(name="W", building_id=1)
        self.assertEqual(self.client.get("/api/workflows/?building_id=2").json()["count"], 0)
        response = self.client.get(f"/api/workflows/{workflow.pk}/?building_id=2")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.json()["id"], workflow.pk)

    def test_it_answers_404_for_unknown_and_non_numeric_ids(self):
        self.assertEqual(self.client.get("/api/workflows/12345/").status_code, 404)
        self.assertEqual(self.client.get("/api/workflows/abc/").status_code, 404)

    def test_it_answers_the_health_endpoints(self):
        self.assertEqual(self.client.get("/health/live").json(), {"status": "ok"})


class ReadinessTests(TestCase):
    def test_it_answers_503_naming_nats_when_nats_is_unreachable(self):
        from django.test import override_settings

        from bridge.client import reset_client

        with override_settings(NATS_URL="nats://127.0.0.1:1"):
            reset_client()
            response = self.client.get("/health/ready")
        reset_client()
        self.assertEqual(response.status_code, 503)
        body = response.json()
        self.assertEqual(body["status"], "unavailable")
        self.assertEqual(body["checks"]["database"], "ok")
        self.assertTrue(body["checks"]["nats"].startswith("unreachable"), body)
