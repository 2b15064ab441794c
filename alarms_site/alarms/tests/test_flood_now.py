"""The live page's flood state: above the start a flood, below the end none, in between the shared rule says."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.test import TestCase, override_settings

from alarms_site.alarms.flood_now import FloodNow, flood_now
from alarms_site.alarms.models import Alarm
from alarms_site.alarms.tests.factories import stored_alarms

NOW = datetime(2025, 5, 1, 12, 0, tzinfo=UTC)


def minutes_ago(*minutes: float) -> list[datetime]:
    return [NOW - timedelta(minutes=m) for m in minutes]


@override_settings(ALARMS_LIVE_SUBJECT="test.alarms.live", ALARMS_FLOOD_START=10, ALARMS_FLOOD_END=5)
class FloodNowTests(TestCase):
    def received(self, alarms: list[Alarm], *minutes: float) -> None:
        for alarm, at in zip(alarms, minutes_ago(*minutes), strict=True):
            Alarm.objects.filter(pk=alarm.pk).update(received_at=at)

    def test_it_floods_above_the_start_and_says_how_many_came_in_the_window(self):
        self.received(stored_alarms(12), *[3] * 11, 11)

        self.assertEqual(flood_now(now=NOW), FloodNow(active=True, recent=11, window_minutes=10))

    def test_between_the_thresholds_it_floods_only_if_a_flood_started_and_did_not_end(self):
        alarms = stored_alarms(17)
        self.received(alarms, *[14] * 11, 9, 8, 7, 6, 5, 4)
        self.assertTrue(flood_now(now=NOW).active)

        self.received(alarms, *[25] * 11, 9, 8, 7, 6, 5, 4)
        self.assertFalse(flood_now(now=NOW).active)

    def test_alarms_not_annunciated_when_raised_do_not_make_a_flood(self):
        alarms = stored_alarms(11)
        self.received(alarms, *[3] * 11)
        Alarm.objects.filter(pk__in=[a.pk for a in alarms[:2]]).update(annunciated=False)

        self.assertFalse(flood_now(now=NOW).active)
