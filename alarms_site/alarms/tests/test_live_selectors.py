"""What the live page reads: true counts in one query, the flood view's groups, the window's order."""

from __future__ import annotations

from django.test import TestCase, override_settings

from alarms_site.alarms import selectors, services
from alarms_site.alarms.assignments import alarm_assign_many
from alarms_site.alarms.models import Alarm
from alarms_site.alarms.outofservice import building_take_out_of_service
from alarms_site.alarms.shelving import alarm_shelve_many
from alarms_site.alarms.tests.factories import event, stored_alarms


def names(alarms: list[Alarm]) -> list[str]:
    return [alarm.name for alarm in alarms]


@override_settings(ALARMS_LIVE_SUBJECT="test.alarms.live")
class CountsTests(TestCase):
    def test_it_counts_every_open_alarm_in_one_query_not_a_window_of_them(self):
        alarms = stored_alarms(150, building_id=1)
        services.alarm_acknowledge_many(alarm_ids=[a.pk for a in alarms[:10]], by="jane")
        alarm_shelve_many(alarm_ids=[a.pk for a in alarms[10:13]], by="jane", reason="works", minutes=30)
        stored_alarms(4, building_id=2)
        building_take_out_of_service(building_id=2, by="jane", reason="renovation")

        with self.assertNumQueries(1):
            counts = selectors.alarm_counts()

        self.assertEqual(counts.unacknowledged, Alarm.objects.filter(acknowledged_at__isnull=True).count())
        self.assertEqual(
            (counts.open, counts.unacknowledged, counts.annunciated, counts.shelved, counts.out_of_service),
            (154, 144, 150 - 3, 3, 4),
        )

    def test_it_leaves_closed_alarms_out_of_every_count(self):
        [alarm] = stored_alarms(1)
        services.alarm_acknowledge(alarm=alarm, by="jane")
        services.alarm_transition(alarm=alarm, action="clear", actor="system")

        self.assertEqual(selectors.alarm_counts(), selectors.AlarmCounts(0, 0, 0, 0, 0))


@override_settings(ALARMS_LIVE_SUBJECT="test.alarms.live")
class GroupsTests(TestCase):
    def test_it_groups_by_building_then_source_the_most_pressing_first(self):
        services.alarm_store_batch(
            events=[
                *[event(name=f"Door {n}", building_id=3, source="doors", severity="minor") for n in range(5)],
                event(name="Fan", building_id=3, source="ahu-1", severity="major"),
                event(name="Smoke detected", building_id=9, source="fire", severity="critical"),
                event(name="No source", building_id=9, severity="info"),
            ]
        )

        groups = selectors.alarm_groups(buildings=10, sources=10)

        self.assertEqual([g["building_id"] for g in groups.buildings], [9, 3])  # the critical one first
        sources = [(source["source"], source["alarms"]) for source in groups.buildings[1]["sources"]]
        self.assertEqual(sources, [("ahu-1", 1), ("doors", 5)])
        self.assertEqual([s["source"] for s in groups.buildings[0]["sources"]], ["fire", ""])
        self.assertEqual((groups.buildings[1]["alarms"], groups.buildings[1]["unacknowledged"]), (6, 6))
        self.assertEqual(groups.more_buildings, 0)

    def test_it_cuts_off_buildings_and_sources_but_their_totals_count_every_alarm(self):
        services.alarm_store_batch(
            events=[event(name="A", building_id=b, source=f"point-{s}") for b in (1, 2, 3) for s in range(4)]
        )

        groups = selectors.alarm_groups(buildings=2, sources=1)

        self.assertEqual(groups.more_buildings, 1)
        shown = [(group["alarms"], len(group["sources"]), group["more_sources"]) for group in groups.buildings]
        self.assertEqual(shown, [(4, 1, 3)] * 2)

    def test_it_groups_only_what_is_annunciated_now(self):
        alarms = stored_alarms(3, building_id=5)
        alarm_shelve_many(alarm_ids=[alarms[0].pk], by="jane", reason="works", minutes=None)

        [group] = selectors.alarm_groups(buildings=10, sources=10).buildings

        self.assertEqual(group["alarms"], 2)


@override_settings(ALARMS_LIVE_SUBJECT="test.alarms.live")
class LiveWindowTests(TestCase):
    def test_it_puts_a_critical_alarm_waiting_above_newer_minor_ones_and_acknowledged_ones_last(self):
        services.alarm_store_batch(events=[event(name="Smoke detected", severity="critical")])
        minors = stored_alarms(3, severity="minor")
        [acknowledged] = services.alarm_store_batch(events=[event(name="Acknowledged", severity="critical")])
        services.alarm_acknowledge(alarm=acknowledged, by="jane")

        window = selectors.alarm_live_window(queryset=Alarm.objects.all(), limit=3)

        self.assertEqual(names(window), ["Smoke detected", minors[2].name, minors[1].name])
        everything = selectors.alarm_live_window(queryset=Alarm.objects.all(), limit=10)
        self.assertEqual(names(everything)[-1], "Acknowledged")

    def test_it_offers_active_users_to_assign_to(self):
        user_model = Alarm._meta.apps.get_model("auth", "User")
        user_model.objects.create_user("zoe")
        user_model.objects.create_user("adam")
        user_model.objects.create_user("gone", is_active=False)

        self.assertEqual(selectors.assignable_usernames(limit=10), ["adam", "zoe"])

    def test_assigned_alarms_stay_annunciated(self):
        alarms = stored_alarms(2)
        alarm_assign_many(alarm_ids=[alarms[0].pk], to="jane", by="jane")

        self.assertEqual(selectors.alarm_counts().annunciated, 2)
