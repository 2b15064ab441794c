"""The alarms REST API: list, filters, detail, acknowledge, errors, schema and health."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import User
from django.test import TestCase, override_settings
from rest_framework.test import APIClient

from alarms_site.alarms import services
from alarms_site.alarms.models import Alarm
from alarms_site.alarms.tests.factories import event, stored_alarms


@override_settings(ALARMS_LIVE_SUBJECT="test.alarms.live")
class AlarmApiTests(TestCase):
    def setUp(self):
        self.client = APIClient()

    def test_it_lists_alarms_newest_first_in_pages(self):
        page_size = settings.REST_FRAMEWORK["PAGE_SIZE"]
        alarms = stored_alarms(page_size + 1)

        body = self.client.get("/api/alarms/").json()

        self.assertEqual(body["count"], page_size + 1)
        self.assertEqual([a["id"] for a in body["results"]], [a.pk for a in reversed(alarms[1:])])
        self.assertIsNotNone(body["next"])
        self.assertEqual(
            set(body["results"][0]),
            {"id", "event_id", "name", "building_id", "severity", "occurred_at", "received_at",
             "acknowledged", "acknowledged_at", "acknowledged_by"},
        )  # fmt: skip

    def test_it_filters_by_building_severity_and_acknowledgement(self):
        services.alarm_store_batch(
            events=[
                event(name="A", building_id=1, severity="critical"),
                event(name="B", building_id=1, severity="info"),
                event(name="C", building_id=2, severity="critical"),
            ]
        )
        services.alarm_acknowledge_many(alarm_ids=[Alarm.objects.get(name="C").pk], by="jane")

        def names(query: str) -> list[str]:
            return [a["name"] for a in self.client.get(f"/api/alarms/?{query}").json()["results"]]

        self.assertEqual(names("building_id=1"), ["B", "A"])
        self.assertEqual(names("severity=critical"), ["C", "A"])
        self.assertEqual(names("acknowledged=true"), ["C"])
        self.assertEqual(names("acknowledged=false&building_id=1&severity=critical"), ["A"])

    def test_it_refuses_bad_filter_values_with_field_errors(self):
        response = self.client.get("/api/alarms/?building_id=abc&severity=loud&acknowledged=maybe")

        self.assertEqual(response.status_code, 400)
        self.assertEqual(set(response.json()), {"building_id", "severity", "acknowledged"})

    def test_it_shows_one_alarm_and_404s_an_unknown_one(self):
        [alarm] = stored_alarms(1)

        self.assertEqual(self.client.get(f"/api/alarms/{alarm.pk}/").json()["event_id"], str(alarm.event_id))
        self.assertEqual(self.client.get("/api/alarms/999999/").status_code, 404)

    def test_it_acknowledges_an_alarm_once(self):
        [alarm] = stored_alarms(1)

        first = self.client.post(f"/api/alarms/{alarm.pk}/acknowledge/", {"acknowledged_by": "jane"}, format="json")
        again = self.client.post(f"/api/alarms/{alarm.pk}/acknowledge/", {"acknowledged_by": "joe"}, format="json")

        self.assertEqual(first.status_code, 200)
        self.assertIs(first.json()["acknowledged"], True)
        self.assertEqual(again.json()["acknowledged_by"], "jane")
        self.assertEqual(again.json()["acknowledged_at"], first.json()["acknowledged_at"])

    def test_it_acknowledges_as_anonymous_without_a_name_and_as_the_signed_in_user(self):
        first, second = stored_alarms(2)

        anonymous = self.client.post(f"/api/alarms/{first.pk}/acknowledge/")
        self.client.force_login(User.objects.create_user("operator"))
        signed_in = self.client.post(f"/api/alarms/{second.pk}/acknowledge/", {"acknowledged_by": "x"}, format="json")

        self.assertEqual(anonymous.json()["acknowledged_by"], "anonymous")
        self.assertEqual(signed_in.json()["acknowledged_by"], "operator")

    def test_it_refuses_a_bad_acknowledgement_body_and_unknown_alarms(self):
        [alarm] = stored_alarms(1)

        bad = self.client.post(f"/api/alarms/{alarm.pk}/acknowledge/", {"acknowledged_by": 5}, format="json")
        missing = self.client.post("/api/alarms/999999/acknowledge/")

        self.assertEqual(bad.status_code, 400)
        self.assertEqual(bad.json(), {"acknowledged_by": ["Must be a string."]})
        self.assertEqual(missing.status_code, 404)

    def test_it_offers_no_way_to_create_change_or_delete_alarms(self):
        [alarm] = stored_alarms(1)

        self.assertEqual(self.client.post("/api/alarms/", {"name": "x"}, format="json").status_code, 405)
        self.assertEqual(self.client.delete(f"/api/alarms/{alarm.pk}/").status_code, 405)


class SiteEndpointTests(TestCase):
    def test_it_serves_the_openapi_schema_with_the_alarm_paths(self):
        response = self.client.get("/api/schema/", HTTP_ACCEPT="application/json")

        self.assertEqual(response.status_code, 200)
        paths = response.json()["paths"]
        self.assertIn("/api/alarms/", paths)
        self.assertIn("/api/alarms/{id}/acknowledge/", paths)
        parameters = {p["name"] for p in paths["/api/alarms/"]["get"]["parameters"]}
        self.assertTrue({"building_id", "severity", "acknowledged", "page"} <= parameters)

    def test_it_answers_the_liveness_probe(self):
        self.assertEqual(self.client.get("/health/live").json(), {"status": "ok"})

    def test_it_serves_the_live_page_with_the_newest_alarms_embedded(self):
        stored_alarms(2)

        response = self.client.get("/alarms/live/")

        self.assertEqual(response.status_code, 200)
        self.assertContains(response, 'id="initial-alarms"')
        self.assertContains(response, "Alarm 1")
        self.assertIn("csrftoken", response.cookies)
