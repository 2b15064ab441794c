"""The live page as served: its rows and true counts embedded, its filters from its URL, the user's rights."""

from __future__ import annotations

from django.test import TestCase, override_settings

from alarms_site.alarms import services
from alarms_site.alarms.shelving import alarm_shelve_many
from alarms_site.alarms.tests.factories import event, stored_alarms
from sitekit.testing import user_with_permissions


@override_settings(ALARMS_LIVE_SUBJECT="test.alarms.live", ALARMS_LIVE_WINDOW=5)
class LivePageTests(TestCase):
    def setUp(self):
        self.client.force_login(user_with_permissions("watcher", "alarms.change_alarm"))

    def page(self, query: str = "") -> dict:
        response = self.client.get(f"/alarms/live/{query}")
        self.assertEqual(response.status_code, 200)
        return response.context["page"]

    def test_it_embeds_the_most_pressing_alarms_and_the_counts_of_every_alarm(self):
        minors = stored_alarms(8, severity="minor")
        services.alarm_store_batch(events=[event(name="Smoke detected", severity="critical")])
        stored_alarms(1, severity="major")

        page = self.page()

        self.assertEqual([a["name"] for a in page["alarms"]][:2], ["Smoke detected", "Alarm 0"])
        self.assertEqual(len(page["alarms"]), 5)
        self.assertEqual((page["matching"], page["counts"]["counts"]["unacknowledged"]), (10, 10))
        self.assertEqual(page["newest_id"], minors[-1].pk + 2)
        self.assertEqual(page["filters"], {})

    def test_it_applies_the_filters_in_its_url_and_leaves_shelved_alarms_out_unless_asked(self):
        stored_alarms(2, building_id=1)
        [shelved] = services.alarm_store_batch(events=[event(name="Shelved", building_id=1)])
        stored_alarms(3, building_id=2)
        alarm_shelve_many(alarm_ids=[shelved.pk], by="jane", reason="works", minutes=None)

        narrowed = self.page("?building_id=1")
        with_shelved = self.page("?building_id=1&open=true")

        self.assertEqual((len(narrowed["alarms"]), narrowed["matching"]), (2, 2))
        self.assertEqual(narrowed["filters"], {"building_id": "1"})
        self.assertEqual(with_shelved["matching"], 3)
        self.assertIn("Shelved", [a["name"] for a in with_shelved["alarms"]])

    def test_a_bad_filter_in_the_url_gets_the_page_without_filters(self):
        stored_alarms(2)

        page = self.page("?building_id=abc&severity=critical")

        self.assertEqual((page["filters"], page["matching"]), ({}, 2))

    def test_it_tells_the_page_what_the_user_may_do(self):
        user = self.page()["user"]
        self.client.force_login(user_with_permissions("supervisor", "alarms.change_alarm", "alarms.shelve_alarm"))
        supervisor = self.page()["user"]

        self.assertEqual(user, {"username": "watcher", "may_change": True, "may_shelve": False})
        self.assertTrue(supervisor["may_shelve"])
        self.assertEqual(self.page()["assignees"], ["supervisor", "watcher"])
