"""The alarms API refuses input it cannot use exactly (never rounds it); id routes answer alike on every database."""

from __future__ import annotations

from django.test import TestCase, override_settings
from rest_framework.test import APIClient

from alarms_site.alarms.tests.factories import stored_alarms
from sitekit.testing import SignedInMixin

# Past every integer column (and SQLite's 64 bits, which once made the quick retrieve answer 500).
TOO_BIG = "99999999999999999999999"


@override_settings(ALARMS_LIVE_SUBJECT="test.alarms.live")
class StrictInputTests(SignedInMixin, TestCase):
    client_class = APIClient

    def test_it_refuses_a_fractional_building_id_with_a_field_error_instead_of_rounding_it(self):
        stored_alarms(1)
        for value in ("1.5", "7.5", "1e0"):
            with self.subTest(value=value):
                response = self.client.get(f"/api/alarms/?building_id={value}")
                self.assertEqual(response.status_code, 400)
                self.assertEqual(set(response.json()), {"building_id"})

    def test_it_refuses_a_fractional_number_of_minutes_with_a_field_error(self):
        response = self.client.get("/api/alarms/stats/per-minute/?minutes=1.5")
        self.assertEqual(response.status_code, 400)
        self.assertEqual(set(response.json()), {"minutes"})

    def test_it_answers_404_for_an_id_past_every_integer_column_on_every_route(self):
        self.assertEqual(self.client.get(f"/api/alarms/{TOO_BIG}/").status_code, 404)
        self.assertEqual(self.client.post(f"/api/alarms/{TOO_BIG}/acknowledge/").status_code, 404)
