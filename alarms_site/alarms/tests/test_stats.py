"""Alarms per minute: the selector (one grouped query, gaps filled), its API and the status page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.contrib.auth.models import User
from django.test import TestCase, override_settings
from rest_framework.test import APIClient

from alarms_site.alarms.models import Alarm
from alarms_site.alarms.selectors import alarm_counts_per_minute
from alarms_site.alarms.tests.factories import stored_alarms
from sitekit.testing import SignedInMixin

NOW = datetime(2025, 5, 1, 10, 30, 42, tzinfo=UTC)


def received(alarms: list[Alarm], at: datetime) -> None:
    Alarm.objects.filter(pk__in=[alarm.pk for alarm in alarms]).update(received_at=at)


@override_settings(ALARMS_LIVE_SUBJECT="test.alarms.live")
class CountsPerMinuteTests(TestCase):
    def test_it_counts_each_minute_by_severity_and_fills_the_gaps_with_zeros(self):
        received(stored_alarms(2, severity="critical"), NOW - timedelta(minutes=2, seconds=10))  # 10:28
        received(stored_alarms(1, severity="info"), NOW - timedelta(minutes=2, seconds=40))  # 10:28
        received(stored_alarms(3, severity="major"), NOW)  # 10:30, the current minute
        received(stored_alarms(1, severity="minor"), NOW - timedelta(minutes=4))  # 10:26: too old
        received(stored_alarms(1, severity="minor"), NOW + timedelta(minutes=1))  # 10:31: not yet

        with self.assertNumQueries(1):
            counts = alarm_counts_per_minute(minutes=3, now=NOW)

        zeros = {"critical": 0, "major": 0, "minor": 0, "warning": 0, "info": 0}
        self.assertEqual(
            counts,
            [
                {"minute": datetime(2025, 5, 1, 10, 28, tzinfo=UTC), **zeros, "critical": 2, "info": 1},
                {"minute": datetime(2025, 5, 1, 10, 29, tzinfo=UTC), **zeros},
                {"minute": datetime(2025, 5, 1, 10, 30, tzinfo=UTC), **zeros, "major": 3},
            ],
        )

    def test_it_returns_one_row_per_minute_even_with_no_alarms_at_all(self):
        counts = alarm_counts_per_minute(minutes=60, now=NOW)

        self.assertEqual(len(counts), 60)
        self.assertEqual(counts[0]["minute"], datetime(2025, 5, 1, 9, 31, tzinfo=UTC))
        self.assertTrue(all(sum(v for k, v in row.items() if k != "minute") == 0 for row in counts))


@override_settings(ALARMS_LIVE_SUBJECT="test.alarms.live")
class PerMinuteApiTests(SignedInMixin, TestCase):
    client_class = APIClient

    def test_it_answers_anonymous_callers_with_401(self):
        self.assertEqual(APIClient().get("/api/alarms/stats/per-minute/").status_code, 401)

    def test_it_answers_the_last_minutes_oldest_first_with_the_current_minute_last(self):
        stored_alarms(2, severity="warning")

        body = self.client.get("/api/alarms/stats/per-minute/?minutes=5").json()

        self.assertEqual(len(body), 5)
        self.assertEqual(set(body[0]), {"minute", "critical", "major", "minor", "warning", "info"})
        self.assertEqual(body[-1]["warning"], 2)
        self.assertLess(body[0]["minute"], body[-1]["minute"])

    def test_it_defaults_to_sixty_minutes(self):
        self.assertEqual(len(self.client.get("/api/alarms/stats/per-minute/").json()), 60)

    def test_it_refuses_a_bad_number_of_minutes(self):
        for value in ["abc", "0", "-5", "1.5", "1441"]:
            with self.subTest(minutes=value):
                response = self.client.get(f"/api/alarms/stats/per-minute/?minutes={value}")

                self.assertEqual(response.status_code, 400)
                self.assertEqual(set(response.json()), {"minutes"})

    def test_it_is_in_the_openapi_schema(self):
        paths = self.client.get("/api/schema/", HTTP_ACCEPT="application/json").json()["paths"]

        self.assertIn("minutes", {p["name"] for p in paths["/api/alarms/stats/per-minute/"]["get"]["parameters"]})


class StatusPageTests(TestCase):
    def test_it_sends_anonymous_visitors_to_sign_in(self):
        response = self.client.get("/alarms/status/")

        self.assertEqual(response.status_code, 302)
        self.assertIn("next=/alarms/status/", response["Location"])

    def test_it_serves_the_chart_page_to_a_signed_in_user(self):
        self.client.force_login(User.objects.create_user("operator"))

        response = self.client.get("/alarms/status/")

        self.assertEqual(response.status_code, 200)
        self.assertContains(response, 'id="chart"')
        self.assertContains(response, 'data-api-path="/api/alarms/stats/per-minute/"')
        self.assertContains(response, "alarms/status.js")
        self.assertContains(response, 'data-kpis-path="/api/alarms/kpis/"')
        self.assertContains(response, "alarms/kpis.js")
        self.assertContains(response, '<option value="24h" selected>')

    def test_the_live_page_links_to_it(self):
        self.client.force_login(User.objects.create_user("operator"))

        self.assertContains(self.client.get("/alarms/live/"), 'href="/alarms/status/"')
