"""The workflows API refuses input it cannot use exactly (never rounds it); id routes answer alike on every database."""

from __future__ import annotations

from django.test import TestCase

from sitekit.testing import SignedInMixin
from workflows_site.workflows.models import Workflow

# Past every integer column (and SQLite's 64 bits, which once made the quick retrieve answer 500).
TOO_BIG = "99999999999999999999999"


class StrictFilterTests(SignedInMixin, TestCase):
    def test_it_refuses_a_fractional_building_id_with_a_field_error_instead_of_rounding_it(self):
        Workflow.objects.create(name="W", building_id=1)
        for value in ("1.5", "0.5", "1e0", "one"):
            with self.subTest(value=value):
                response = self.client.get(f"/api/workflows/?building_id={value}")
                self.assertEqual(response.status_code, 400)
                self.assertEqual(set(response.json()), {"building_id"})

    def test_it_still_reads_a_whole_building_id(self):
        Workflow.objects.create(name="W", building_id=1)
        self.assertEqual(self.client.get("/api/workflows/?building_id=1").json()["count"], 1)
        self.assertEqual(self.client.get(f"/api/workflows/?building_id={TOO_BIG}").json()["count"], 0)

    def test_it_refuses_an_unknown_status_with_a_field_error(self):
        response = self.client.get("/api/workflows/?status=bogus")
        self.assertEqual(response.status_code, 400)
        self.assertEqual(set(response.json()), {"status"})


class IdRouteTests(SignedInMixin, TestCase):
    def test_it_answers_404_for_an_id_past_every_integer_column_on_every_route(self):
        url = f"/api/workflows/{TOO_BIG}/"
        body = {"name": "W", "building_id": 1}
        for method in ("get", "put", "patch", "delete"):
            with self.subTest(method=method):
                response = getattr(self.client, method)(url, body, content_type="application/json")
                self.assertEqual(response.status_code, 404)
