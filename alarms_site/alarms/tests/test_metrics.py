"""Prometheus metrics of the alarms web process, mounted like every other site's, and its KPI gauges."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

from django.db import OperationalError
from django.test import Client, TestCase, override_settings
from django.utils import timezone

from alarms_site.alarms.models import Action, JournalEntry
from alarms_site.alarms.tests.factories import alarms_received, stored_alarms


class MetricsTests(TestCase):
    def test_it_serves_prometheus_metrics(self):
        self.client.get("/health/live")

        response = self.client.get("/metrics")

        self.assertEqual(response.status_code, 200)
        self.assertIn(b"django_http_requests_total_by_view_transport_method_total", response.content)


class KpiGaugeTests(TestCase):
    @override_settings(ALARMS_LIVE_SUBJECT="test.alarms.live")
    def test_metrics_show_the_flood_now_the_recent_count_standing_and_chattering_alarms(self):
        [first, *_] = stored_alarms(11)  # one batch now: more than 10 in 10 minutes
        alarms_received([timezone.now() - timedelta(hours=25)] * 2)
        JournalEntry.objects.create(alarm=first, action=Action.CHATTERING, actor="system")

        text = Client().get("/metrics").content.decode()

        self.assertIn("\nalarms_in_flood 1.0\n", text)
        self.assertIn("\nalarms_annunciated_recent 11.0\n", text)
        self.assertIn("\nalarms_standing 2.0\n", text)
        self.assertIn("\nalarms_chattering_last_hour 1.0\n", text)
        self.assertRegex(text, r"\nalarms_flood_seconds \d")
        self.assertIn("django_http_requests_total_by_view_transport_method_total", text)  # the rest still there

    def test_metrics_show_no_flood_when_it_is_quiet(self):
        text = Client().get("/metrics").content.decode()

        self.assertIn("\nalarms_in_flood 0.0\n", text)
        self.assertIn("\nalarms_flood_seconds 0.0\n", text)

    def test_without_the_database_the_gauges_are_left_out_and_the_rest_still_answers(self):
        with mock.patch("alarms_site.alarms.kpis_metrics.flood_now", side_effect=OperationalError("gone")):
            response = Client().get("/metrics")

        self.assertEqual(response.status_code, 200)
        self.assertNotIn(b"alarms_in_flood", response.content)
        self.assertIn(b"django_http_requests_total_by_view_transport_method_total", response.content)
