"""The alarms admin: filters and search answer, and the bulk acknowledge action."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.test import TestCase, override_settings

from alarms_site.alarms.models import Alarm
from alarms_site.alarms.tests.factories import stored_alarms

CHANGELIST = "/admin/alarms/alarm/"


@override_settings(ALARMS_LIVE_SUBJECT="test.alarms.live")
class AlarmAdminTests(TestCase):
    def setUp(self):
        self.client.force_login(User.objects.create_superuser("admin", "admin@example.com", "pw"))

    def test_it_lists_filters_and_searches_alarms(self):
        stored_alarms(2, severity="critical", building_id=5)

        for query in [
            "",
            "?severity__exact=critical",
            "?acknowledged=no",
            "?building_id=5",
            "?q=Alarm",
            "?state__exact=active_unacknowledged",
        ]:
            response = self.client.get(CHANGELIST + query)
            self.assertEqual(response.status_code, 200, query)
            self.assertContains(response, "Alarm 1")

    def test_it_acknowledges_the_selected_alarms_in_the_admins_name(self):
        alarms = stored_alarms(3)

        response = self.client.post(
            CHANGELIST, {"action": "acknowledge", "_selected_action": [alarms[0].pk, alarms[2].pk]}, follow=True
        )

        self.assertContains(response, "2 alarm(s) acknowledged.")
        acknowledged = Alarm.objects.filter(acknowledged_at__isnull=False)
        self.assertEqual(sorted(acknowledged.values_list("pk", flat=True)), [alarms[0].pk, alarms[2].pk])
        self.assertEqual(set(acknowledged.values_list("acknowledged_by", flat=True)), {"admin"})

    def test_it_shows_an_alarms_journal_on_its_page(self):
        [alarm] = stored_alarms(1)
        self.client.post(CHANGELIST, {"action": "acknowledge", "_selected_action": [alarm.pk]})

        response = self.client.get(f"{CHANGELIST}{alarm.pk}/change/")

        self.assertContains(response, "Journal entries")
        self.assertContains(response, "<p>Active, acknowledged</p>", html=False)

    def test_it_offers_no_way_to_add_alarms_by_hand(self):
        self.assertEqual(self.client.get(CHANGELIST + "add/").status_code, 403)
