"""The operator's actions over REST: what each accepts, what it refuses (400 or 409), what it answers."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.test import TestCase, override_settings
from rest_framework.test import APIClient

from alarms_site.alarms.models import Alarm, OutOfService, State
from alarms_site.alarms.tests.factories import stored_alarms
from sitekit.testing import SignedInMixin


@override_settings(ALARMS_LIVE_SUBJECT="test.alarms.live")
class OperatorApiTests(SignedInMixin, TestCase):
    client_class = APIClient

    def setUp(self):
        super().setUp()
        [self.alarm] = stored_alarms(1)
        self.path = f"/api/alarms/{self.alarm.pk}"

    def post(self, action: str, body: dict | None = None):
        return self.client.post(f"{self.path}/{action}/", body, format="json")

    def test_shelve_without_minutes_lasts_until_it_clears_and_answers_the_alarm(self):
        response = self.post("shelve", {"reason": "sensor work"})

        self.assertEqual(response.status_code, 200, response.content)
        body = response.json()
        self.assertEqual((body["shelved"], body["shelved_until"], body["shelved_by"]), (True, None, "operator"))
        self.assertEqual(self.post("unshelve").json()["shelved"], False)

    def test_shelve_refuses_bad_bodies_with_field_errors(self):
        for body, field in [
            ({"minutes": 10}, "reason"),
            ({"reason": "r", "minutes": 481}, "minutes"),
            ({"reason": "r", "minutes": 0}, "minutes"),
            ({"reason": "r", "minutes": "10"}, "minutes"),
            ({"reason": "", "minutes": 10}, "reason"),
        ]:
            with self.subTest(body):
                response = self.post("shelve", body)
                self.assertEqual(response.status_code, 400)
                self.assertIn(field, response.json())
        self.assertFalse(Alarm.objects.get().is_shelved)

    def test_an_action_the_state_does_not_allow_is_a_409_with_the_reason(self):
        self.post("shelve", {"reason": "r", "minutes": 5})

        response = self.post("shelve", {"reason": "again", "minutes": 5})

        self.assertEqual(response.status_code, 409)
        self.assertEqual(response.json(), {"detail": f"cannot shelve: alarm {self.alarm.pk} is shelved already"})
        self.assertEqual(self.post("unassign").status_code, 409)

    def test_assign_takes_an_active_username_only(self):
        get_user_model().objects.create_user("kim")
        get_user_model().objects.create_user("gone", is_active=False)

        self.assertEqual(self.post("assign", {"assignee": "gone"}).status_code, 409)
        self.assertIn("no active user 'nobody'", self.post("assign", {"assignee": "nobody"}).json()["detail"])
        self.assertEqual(self.post("assign", {"assignee": ""}).json().keys(), {"assignee"})
        response = self.post("assign", {"assignee": "kim"})

        self.assertEqual(response.json()["assignee"], "kim")
        self.assertEqual(self.client.get("/api/alarms/?assignee=kim").json()["count"], 1)
        self.assertEqual(self.client.get("/api/alarms/?assigned=false").json()["count"], 0)

    def test_a_comment_is_in_the_journal(self):
        self.assertEqual(self.post("comment", {"text": ""}).status_code, 400)
        self.assertEqual(self.post("comment", {"text": "x" * 2001}).status_code, 400)

        self.assertEqual(self.post("comment", {"text": "valve checked"}).json()["comments"], 1)

        journal = self.client.get(f"{self.path}/journal/").json()
        self.assertEqual([(entry["action"], entry["note"]) for entry in journal], [("comment", "valve checked")])

    def test_the_list_filters_by_priority_shelved_and_annunciated_and_orders_by_priority(self):
        [critical] = stored_alarms(1, severity="critical")
        self.post("shelve", {"reason": "r", "minutes": 5})

        def ids(query: str) -> list[int]:
            return [alarm["id"] for alarm in self.client.get(f"/api/alarms/?{query}").json()["results"]]

        self.assertEqual(ids("priority=high"), [critical.pk])
        self.assertEqual(ids("shelved=true"), [self.alarm.pk])
        self.assertEqual(ids("annunciated=true"), [critical.pk])
        self.assertEqual(ids("annunciated=false"), [self.alarm.pk])
        self.assertEqual(self.client.get("/api/alarms/?order=oldest").status_code, 400)
        self.assertEqual(self.client.get("/api/alarms/?priority=urgent").status_code, 400)


@override_settings(ALARMS_LIVE_SUBJECT="test.alarms.live")
class OutOfServiceApiTests(SignedInMixin, TestCase):
    client_class = APIClient

    def test_a_building_goes_out_of_service_and_back(self):
        [alarm] = stored_alarms(1, building_id=4)

        created = self.client.post("/api/out-of-service/", {"building_id": 4, "reason": "works"}, format="json")
        again = self.client.post("/api/out-of-service/", {"building_id": 4, "reason": "works"}, format="json")

        self.assertEqual((created.status_code, created.json()["by"]), (201, "operator"))
        self.assertEqual(again.status_code, 409)
        self.assertTrue(Alarm.objects.get(pk=alarm.pk).out_of_service)
        self.assertEqual(self.client.delete("/api/out-of-service/4/").status_code, 204)
        self.assertEqual(self.client.delete("/api/out-of-service/4/").status_code, 404)
        self.assertFalse(Alarm.objects.get(pk=alarm.pk).out_of_service)

    def test_it_refuses_bad_input_with_field_errors(self):
        for body in [{"building_id": 0, "reason": "r"}, {"building_id": "4", "reason": "r"}, {"building_id": 4}]:
            with self.subTest(body):
                self.assertEqual(self.client.post("/api/out-of-service/", body, format="json").status_code, 400)
        self.assertFalse(OutOfService.objects.exists())


@override_settings(ALARMS_LIVE_SUBJECT="test.alarms.live")
class ClosedAlarmApiTests(SignedInMixin, TestCase):
    client_class = APIClient

    def test_closed_alarms_refuse_shelve_and_assign_but_take_comments(self):
        [alarm] = stored_alarms(1)
        Alarm.objects.filter(pk=alarm.pk).update(state=State.CLOSED)
        get_user_model().objects.create_user("kim")
        path = f"/api/alarms/{alarm.pk}"

        self.assertEqual(
            self.client.post(f"{path}/shelve/", {"reason": "r", "minutes": 5}, format="json").status_code, 409
        )
        self.assertEqual(self.client.post(f"{path}/assign/", {"assignee": "kim"}, format="json").status_code, 409)
        self.assertEqual(self.client.post(f"{path}/comment/", {"text": "done"}, format="json").status_code, 200)
