"""The alarms admin: filters and search answer, and the bulk acknowledge action."""

from __future__ import annotations

from django.contrib.auth.models import Permission, User
from django.test import TestCase, override_settings

from alarms_site.alarms.models import Alarm, OutOfService
from alarms_site.alarms.outofservice import building_hold, workflow_holder
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


@override_settings(ALARMS_LIVE_SUBJECT="test.alarms.live")
class OperatorAdminActionTests(TestCase):
    def setUp(self):
        self.client.force_login(User.objects.create_superuser("admin", "admin@example.com", "pw"))
        self.alarms = stored_alarms(2)
        self.selected = [alarm.pk for alarm in self.alarms]

    def act(self, action: str, **fields):
        return self.client.post(
            CHANGELIST, {"action": action, "_selected_action": self.selected, **fields}, follow=True
        )

    def test_it_shelves_with_a_reason_and_minutes_and_unshelves(self):
        self.assertContains(self.act("shelve", note="", minutes="10"), "needs a reason")
        self.assertContains(self.act("shelve", note="r", minutes="999"), "Minutes:")
        self.assertFalse(Alarm.objects.filter(shelved_at__isnull=False).exists())

        self.assertContains(self.act("shelve", note="sensor work", minutes=""), "2 alarm(s) shelved.")
        self.assertEqual(set(Alarm.objects.values_list("shelved_by", "shelved_until")), {("admin", None)})
        self.assertContains(self.act("unshelve"), "2 alarm(s) unshelved.")

    def test_it_assigns_to_an_active_user_and_comments(self):
        User.objects.create_user("kim")

        self.assertContains(self.act("assign", assignee="nobody"), "no active user")
        self.assertContains(self.act("assign", assignee="kim"), "2 alarm(s) assigned to kim.")
        self.assertContains(self.act("comment", note="checked"), "2 alarm(s) commented.")
        self.assertEqual(set(Alarm.objects.values_list("assignee", "comments")), {("kim", 1)})

    def test_shelving_is_not_offered_without_the_shelve_permission(self):
        staff = User.objects.create_user("clerk", is_staff=True)
        staff.user_permissions.add(*Permission.objects.filter(codename__in=["view_alarm", "change_alarm"]))
        self.client.force_login(staff)

        response = self.client.get(CHANGELIST)

        self.assertContains(response, 'value="acknowledge"')
        self.assertNotContains(response, 'value="shelve"')

    def test_buildings_go_out_of_service_from_the_admin(self):
        self.client.post("/admin/alarms/outofservice/add/", {"building_id": 7, "reason": "works"})

        self.assertTrue(Alarm.objects.filter(out_of_service=True).count() == 2)
        hold = OutOfService.objects.get(building_id=7)
        self.client.post(f"/admin/alarms/outofservice/{hold.pk}/delete/", {"post": "yes"})
        self.assertFalse(Alarm.objects.filter(out_of_service=True).exists())

    def test_a_maintenance_workflows_hold_is_listed_but_ends_only_with_its_workflow(self):
        building_hold(building_id=7, holder=workflow_holder(17), by="system", reason="maintenance workflow 17")
        hold = OutOfService.objects.get(building_id=7)

        listed = self.client.get("/admin/alarms/outofservice/")
        refused = self.client.post(f"/admin/alarms/outofservice/{hold.pk}/delete/", {"post": "yes"})

        self.assertContains(listed, "workflow 17")
        self.assertEqual(refused.status_code, 403)
        self.assertTrue(OutOfService.objects.filter(pk=hold.pk).exists())
        self.assertEqual(Alarm.objects.filter(out_of_service=True).count(), 2)
