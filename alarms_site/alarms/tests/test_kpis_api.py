"""``GET /api/alarms/kpis/``: who may read it, the window it takes, the figures it answers, its schema."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from django.test import SimpleTestCase, TestCase, override_settings
from django.utils import timezone
from rest_framework.test import APIClient

from alarms_site.alarms.kpis_serializers import WINDOW_PATTERN, KpisQuerySerializer
from alarms_site.alarms.models import Action, JournalEntry
from alarms_site.alarms.tests.factories import alarms_received
from sitekit.testing import SignedInMixin

URL = "/api/alarms/kpis/"


def parsed(body: dict, *fields: str) -> list[datetime]:
    return [datetime.fromisoformat(body[field]) for field in fields]


@override_settings(ALARMS_LIVE_SUBJECT="test.alarms.live")
class KpisApiTests(SignedInMixin, TestCase):
    client_class = APIClient

    def test_it_answers_anonymous_callers_with_401(self):
        self.assertEqual(APIClient().get(URL).status_code, 401)

    def test_it_covers_the_last_day_by_default_and_the_window_asked_for(self):
        for query, length in [("", timedelta(hours=24)), ("?window=30m", timedelta(minutes=30)),
                              ("?window=7d", timedelta(days=7)), ("?window=10m", timedelta(minutes=10))]:  # fmt: skip
            with self.subTest(query):
                body = self.client.get(URL + query).json()

                start, end = parsed(body, "start", "end")
                self.assertEqual(end - start, length)
                self.assertLess(timezone.now() - end, timedelta(seconds=5))

    def test_it_refuses_a_window_it_cannot_read_or_outside_ten_minutes_to_seven_days_naming_the_field(self):
        for value in ["", "abc", "24", "h", "9m", "0h", "169h", "8d", "-1h", "1.5h", "24H", " 24h", "24h ", "024h"]:
            with self.subTest(window=value):
                response = self.client.get(URL, {"window": value})

                self.assertEqual(response.status_code, 400)
                self.assertEqual(set(response.json()), {"window"})

    def test_it_answers_the_figures_of_the_alarms_stored(self):
        now = timezone.now()
        alarms = alarms_received(
            [now - timedelta(seconds=n) for n in range(11, 0, -1)], source="valve-1", building_id=4
        )
        alarms_received([now - timedelta(minutes=5)], severity="critical", annunciated=False)
        alarms_received([now - timedelta(hours=30)])
        JournalEntry.objects.create(alarm=alarms[0], action=Action.CHATTERING, actor="system", at=now)

        body = self.client.get(URL, {"window": "1h"}).json()

        self.assertEqual(body["annunciated"], 11)
        self.assertEqual(sum(bucket["count"] for bucket in body["buckets"]), 11)
        self.assertEqual(body["rules"], {"flood_start": 10, "flood_end": 5, "flood_window_minutes": 10,
                                         "standing_hours": 24})  # fmt: skip
        [flood] = body["floods"]["periods"]
        self.assertEqual((body["floods"]["count"], flood["end"], flood["peak"]), (1, None, 11))
        self.assertEqual(datetime.fromisoformat(flood["start"]), alarms[-1].received_at)
        self.assertEqual((body["standing"], body["chattering"]), (1, 1))
        self.assertEqual(body["bad_actors"], [{"building_id": 4, "source": "valve-1", "count": 11, "share": 1.0}])
        self.assertEqual(body["bad_actors_share"], 1.0)
        self.assertEqual(
            body["priority_mix"],
            [{"priority": "high", "count": 0, "share": 0.0, "guideline": 0.05},
             {"priority": "medium", "count": 0, "share": 0.0, "guideline": 0.15},
             {"priority": "low", "count": 11, "share": 1.0, "guideline": 0.8}],
        )  # fmt: skip

    def test_it_is_in_the_openapi_schema_with_the_window_it_takes(self):
        schema = self.client.get("/api/schema/", HTTP_ACCEPT="application/json").json()

        [window] = schema["paths"][URL]["get"]["parameters"]
        self.assertEqual(window["name"], "window")
        self.assertEqual(window["schema"]["default"], "24h")
        self.assertEqual(window["schema"]["pattern"], f"^(?:{WINDOW_PATTERN})$")
        self.assertIn("400", schema["paths"][URL]["get"]["responses"])
        kpis = schema["components"]["schemas"]["Kpis"]
        self.assertEqual(set(kpis["required"]), set(kpis["properties"]))
        self.assertIn("priority_mix", kpis["properties"])


class WindowPatternTests(SimpleTestCase):
    def test_the_schemas_pattern_takes_exactly_the_windows_the_api_takes(self):
        """Every number with every unit, up to past the limits: the pattern and the limits agree."""
        for unit, most in [("m", 12_000), ("h", 200), ("d", 10)]:
            for number in range(most):
                value = f"{number}{unit}"
                query = KpisQuerySerializer(data={"window": value})
                self.assertEqual(
                    bool(re.fullmatch(f"^(?:{WINDOW_PATTERN})$", value)), query.is_valid(), f"{value}: {query.errors}"
                )
        edges = ["9m", "10m", "10080m", "10081m", "0h", "1h", "168h", "169h", "0d", "1d", "7d", "8d"]
        taken = [value for value in edges if KpisQuerySerializer(data={"window": value}).is_valid()]
        self.assertEqual(taken, ["10m", "10080m", "1h", "168h", "1d", "7d"])
