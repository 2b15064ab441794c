"""Every id route of the buildings API answers alike on every database; filters refuse what they cannot use."""

from __future__ import annotations

from django.test import TestCase

from sitekit.testing import SignedInMixin

# Past every integer column (and SQLite's 64 bits, which once made the quick retrieve answer 500).
TOO_BIG = "99999999999999999999999"


class IdRouteTests(SignedInMixin, TestCase):
    def test_it_answers_404_for_an_id_past_every_integer_column_on_every_route(self):
        url = f"/api/buildings/{TOO_BIG}/"
        for method in ("get", "put", "patch", "delete"):
            with self.subTest(method=method):
                response = getattr(self.client, method)(url, {"name": "B"}, content_type="application/json")
                self.assertEqual(response.status_code, 404)

    def test_it_answers_404_for_a_negative_id_past_every_integer_column(self):
        self.assertEqual(self.client.get(f"/api/buildings/-{TOO_BIG}/").status_code, 404)


class StrictFilterTests(SignedInMixin, TestCase):
    def test_it_refuses_an_unknown_workflow_status_with_a_field_error(self):
        response = self.client.get("/api/buildings/?workflow_status=bogus")
        self.assertEqual(response.status_code, 400)
        self.assertEqual(set(response.json()), {"workflow_status"})

    def test_it_refuses_a_fractional_page_number(self):
        self.assertEqual(self.client.get("/api/buildings/?page=1.5").status_code, 400)
