"""Prometheus metrics of the alarms web process, mounted like every other site's."""

from __future__ import annotations

from django.test import TestCase


class MetricsTests(TestCase):
    def test_it_serves_prometheus_metrics(self):
        self.client.get("/health/live")

        response = self.client.get("/metrics")

        self.assertEqual(response.status_code, 200)
        self.assertIn(b"django_http_requests_total_by_view_transport_method_total", response.content)
