"""The alarms REST API: list, filters, detail, acknowledge, errors, schema and health."""

from __future__ import annotations

from django.conf import settings
from django.test import Client, TestCase, override_settings
from rest_framework.test import APIClient

from alarms_site.alarms import services
from alarms_site.alarms.models import Alarm
from alarms_site.alarms.tests.factories import event, stored_alarms
from sitekit.testing import SignedInMixin, sign_in_with_token, user_with_permissions


@override_settings(ALARMS_LIVE_SUBJECT="test.alarms.live")
class AlarmApiTests(SignedInMixin, TestCase):
    client_class = APIClient

    def test_it_lists_alarms_newest_first_in_pages(self):
        page_size = settings.REST_FRAMEWORK["PAGE_SIZE"]
        alarms = stored_alarms(page_size + 1)

        body = self.client.get("/api/alarms/").json()

        self.assertEqual(body["count"], page_size + 1)
        self.assertEqual([a["id"] for a in body["results"]], [a.pk for a in reversed(alarms[1:])])
        self.assertIsNotNone(body["next"])
        self.assertEqual(
            set(body["results"][0]),
            {"id", "event_id", "name", "building_id", "source", "severity", "state", "occurred_at",
             "occurrences", "last_occurred_at", "received_at", "acknowledged", "acknowledged_at",
             "acknowledged_by", "cleared_at", "priority", "shelved", "shelved_at", "shelved_until", "shelved_by",
             "shelve_reason", "assignee", "comments", "out_of_service", "annunciated", "chattering",
             "escalated_at", "workflow_id"},
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

    def test_it_gives_the_live_page_its_whole_window_in_one_page_and_refuses_other_sizes(self):
        stored_alarms(settings.ALARMS_LIVE_WINDOW + 1)

        window = self.client.get(f"/api/alarms/?page_size={settings.ALARMS_LIVE_WINDOW}").json()
        self.assertEqual((len(window["results"]), window["count"]), (settings.ALARMS_LIVE_WINDOW, 101))
        for size in ("0", "abc", "", "1.5", str(settings.ALARMS_LIVE_WINDOW + 1)):
            response = self.client.get(f"/api/alarms/?page_size={size}")
            self.assertEqual((response.status_code, list(response.json())), (400, ["page_size"]), size)

    def test_it_lists_open_alarms_shelved_ones_too_or_only_those_annunciated_now_by_priority(self):
        services.alarm_store_batch(events=[event(name="Minor", severity="minor")])
        services.alarm_store_batch(events=[event(name="Smoke detected", severity="critical")])
        [shelved] = services.alarm_store_batch(events=[event(name="Shelved", severity="major")])
        [closed] = services.alarm_store_batch(events=[event(name="Closed")])
        self.client.post(f"/api/alarms/{shelved.pk}/shelve/", {"reason": "works", "minutes": 5}, format="json")
        services.alarm_acknowledge(alarm=closed, by="jane")
        services.alarm_transition(alarm=closed, action="clear", actor="system")

        def names(query: str) -> list[str]:
            return [a["name"] for a in self.client.get(f"/api/alarms/?{query}&order=priority").json()["results"]]

        self.assertEqual(names("annunciated=true"), ["Smoke detected", "Minor"])
        self.assertEqual(names("open=true"), ["Smoke detected", "Shelved", "Minor"])
        self.assertEqual(names("open=false"), ["Closed"])

    def test_it_refuses_bad_filter_values_with_field_errors(self):
        response = self.client.get("/api/alarms/?building_id=abc&severity=loud&acknowledged=maybe")

        self.assertEqual(response.status_code, 400)
        self.assertEqual(set(response.json()), {"building_id", "severity", "acknowledged"})

    def test_it_shows_one_alarm_and_404s_an_unknown_one(self):
        [alarm] = stored_alarms(1)

        self.assertEqual(self.client.get(f"/api/alarms/{alarm.pk}/").json()["event_id"], str(alarm.event_id))
        self.assertEqual(self.client.get("/api/alarms/999999/").status_code, 404)

    def test_it_acknowledges_an_alarm_once_in_the_name_of_the_signed_in_user_and_409s_the_second(self):
        [alarm] = stored_alarms(1)
        other = sign_in_with_token(APIClient(), user_with_permissions("joe", "alarms.change_alarm"))

        first = self.client.post(f"/api/alarms/{alarm.pk}/acknowledge/", {"acknowledged_by": "jane"}, format="json")
        again = other.post(f"/api/alarms/{alarm.pk}/acknowledge/")

        self.assertEqual(first.status_code, 200)
        self.assertIs(first.json()["acknowledged"], True)
        self.assertEqual(first.json()["acknowledged_by"], "operator")  # a name in the body is not trusted
        self.assertEqual(first.json()["state"], "active_acknowledged")
        self.assertEqual(again.status_code, 409)
        self.assertEqual(again.json(), {"detail": f"cannot acknowledge: alarm {alarm.pk} is active, acknowledged"})
        self.assertEqual(Alarm.objects.get(pk=alarm.pk).acknowledged_by, "operator")

    def test_it_shows_an_alarms_journal_oldest_first(self):
        [alarm] = stored_alarms(1)
        self.client.post(f"/api/alarms/{alarm.pk}/acknowledge/")

        journal = self.client.get(f"/api/alarms/{alarm.pk}/journal/").json()

        self.assertEqual(
            [(entry["action"], entry["actor"], entry["from_state"], entry["to_state"]) for entry in journal],
            [("acknowledge", "operator", "active_unacknowledged", "active_acknowledged")],
        )
        self.assertEqual(set(journal[0]), {"id", "action", "actor", "at", "from_state", "to_state", "note"})

    def test_it_filters_by_state(self):
        alarms = stored_alarms(2)
        services.alarm_acknowledge(alarm=alarms[0], by="jane")

        response = self.client.get("/api/alarms/?state=active_acknowledged")

        self.assertEqual([a["id"] for a in response.json()["results"]], [alarms[0].pk])
        self.assertEqual(self.client.get("/api/alarms/?state=sleeping").status_code, 400)

    def test_it_answers_404_when_acknowledging_an_unknown_alarm(self):
        self.assertEqual(self.client.post("/api/alarms/999999/acknowledge/").status_code, 404)

    def test_it_needs_the_change_permission_to_acknowledge_not_the_add_permission(self):
        [alarm] = stored_alarms(1)
        adder = sign_in_with_token(APIClient(), user_with_permissions("adder", "alarms.add_alarm"))

        self.assertEqual(adder.post(f"/api/alarms/{alarm.pk}/acknowledge/").status_code, 403)
        alarm.refresh_from_db()
        self.assertIsNone(alarm.acknowledged_at)

    def test_it_needs_the_csrf_token_from_a_session_user(self):
        [alarm] = stored_alarms(1)
        browser = APIClient(enforce_csrf_checks=True)
        browser.force_login(self.user)

        refused = browser.post(f"/api/alarms/{alarm.pk}/acknowledge/")
        browser.get("/alarms/live/")  # sets the csrftoken cookie, as the live page does
        accepted = browser.post(
            f"/api/alarms/{alarm.pk}/acknowledge/", HTTP_X_CSRFTOKEN=browser.cookies["csrftoken"].value
        )

        self.assertEqual(refused.status_code, 403)
        self.assertIn("CSRF", refused.json()["detail"])
        self.assertEqual((accepted.status_code, accepted.json()["acknowledged_by"]), (200, "operator"))

    def test_it_offers_no_way_to_create_change_or_delete_alarms(self):
        [alarm] = stored_alarms(1)

        self.assertEqual(self.client.post("/api/alarms/", {"name": "x"}, format="json").status_code, 405)
        self.assertEqual(self.client.delete(f"/api/alarms/{alarm.pk}/").status_code, 405)


class SiteEndpointTests(SignedInMixin, TestCase):
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
        self.client.force_login(self.user)

        response = self.client.get("/alarms/live/")

        self.assertEqual(response.status_code, 200)
        self.assertContains(response, 'id="live-page"')
        self.assertContains(response, "Alarm 1")
        self.assertIn("csrftoken", response.cookies)

    def test_it_sends_anonymous_visitors_of_the_live_page_to_the_login_form(self):
        response = Client().get("/alarms/live/")

        self.assertRedirects(response, "/accounts/login/?next=/alarms/live/")
