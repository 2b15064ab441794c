"""The live page's flood rule: above the start it floods, below the end it does not, in between the history says."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.test import TestCase, override_settings

from alarms_site.alarms.flood_now import FloodNow, flood_now, flooding_after
from alarms_site.alarms.models import Alarm
from alarms_site.alarms.tests.factories import stored_alarms

NOW = datetime(2025, 5, 1, 12, 0, tzinfo=UTC)
WINDOW = timedelta(minutes=10)


def minutes_ago(*minutes: float) -> list[datetime]:
    return [NOW - timedelta(minutes=m) for m in minutes]


def floods(times: list[datetime]) -> bool:
    return flooding_after(times, now=NOW, window=WINDOW, start=10, end=5)


class FloodingAfterTests(TestCase):
    def test_it_floods_once_more_than_the_start_arrive_within_a_window(self):
        self.assertTrue(floods(minutes_ago(*[5] * 11)))
        self.assertFalse(floods(minutes_ago(*[5] * 10)))

    def test_a_flood_that_started_goes_on_while_the_window_holds_the_end_or_more(self):
        burst = minutes_ago(*[14] * 11)  # a flood 14 minutes ago: they have left the window since
        trickle = minutes_ago(9, 8, 7, 6, 5, 4)  # six since: never fewer than five in a window...

        self.assertTrue(floods(burst + trickle))

    def test_it_ends_once_the_window_holds_fewer_than_the_end(self):
        burst = minutes_ago(*[25] * 11)
        later = minutes_ago(9, 8, 7, 6, 5, 4)  # ...but between the two the window held none

        self.assertFalse(floods(burst + later))

    def test_arrivals_and_departures_at_one_instant_count_together(self):
        # A flood, then five that hold it; as those five leave, five others arrive at that instant:
        # the window never holds fewer than five.
        held = minutes_ago(*[25] * 11, *[19] * 5, *[9] * 5)

        self.assertTrue(floods(held))


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
