"""Every admin list of the alarms site with 1,000 rows: few queries, no link per building."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.test import TestCase

from alarms_site.alarms.models import Alarm, OutOfService
from bridge.outbox.testing import OUTBOX_ROWS
from sitekit.admin_checks import AdminListChecks


def many_alarms(count: int) -> None:
    """One alarm per building, so a filter linking each building id would show ``count`` links."""
    Alarm.objects.bulk_create(
        Alarm(
            event_id=f"00000000-0000-0000-0000-{index:012d}",
            name=f"Alarm {index}",
            building_id=index + 1,
            occurred_at="2026-01-01T00:00:00Z",
        )
        for index in range(count)
    )


def many_out_of_service(count: int) -> None:
    OutOfService.objects.bulk_create(
        OutOfService(building_id=index + 1, by="staff", reason="works") for index in range(count)
    )


class AlarmsAdminListTests(AdminListChecks, TestCase):
    site_rows = {**OUTBOX_ROWS, "alarms.Alarm": many_alarms, "alarms.OutOfService": many_out_of_service}


class BuildingIdFilterTests(TestCase):
    def setUp(self):
        self.client.force_login(User.objects.create_superuser("admin", "admin@example.com", "unused"))

    def test_it_offers_a_building_id_box_that_keeps_the_other_filters(self):
        many_alarms(3)

        response = self.client.get("/admin/alarms/alarm/?severity__exact=minor&building_id=2")

        self.assertContains(response, '<input type="number" name="building_id" value="2"')
        self.assertContains(response, '<input type="hidden" name="severity__exact" value="minor">')
        self.assertEqual([alarm.building_id for alarm in response.context["cl"].result_list], [2])

    def test_it_shows_the_whole_list_with_the_error_flag_for_a_building_id_that_is_not_whole(self):
        response = self.client.get("/admin/alarms/alarm/?building_id=1.5")

        self.assertRedirects(response, "/admin/alarms/alarm/?e=1")
