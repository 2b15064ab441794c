"""What a live page gets on load and when it reconnects."""

from __future__ import annotations

from datetime import timedelta

from django.test import TestCase

from alarms_site.alarms import selectors, services
from alarms_site.alarms.models import Alarm
from alarms_site.alarms.tests.factories import stored_alarms


def ids(alarms: list[Alarm]) -> list[int]:
    return [alarm.pk for alarm in alarms]


class LatestTests(TestCase):
    def test_it_returns_the_newest_alarms_first(self):
        alarms = stored_alarms(5)

        self.assertEqual(ids(selectors.alarm_latest(limit=3)), ids(alarms[:1:-1]))


class CatchUpTests(TestCase):
    def setUp(self):
        self.alarms = stored_alarms(6)
        # The first three were stored a minute earlier than the rest.
        early = [alarm.pk for alarm in self.alarms[:3]]
        Alarm.objects.filter(pk__in=early).update(received_at=self.alarms[0].received_at - timedelta(minutes=1))

    def test_it_sends_everything_newest_first_to_a_page_that_has_nothing(self):
        catch_up = selectors.alarm_catch_up(since_id=0, limit=10)

        self.assertEqual(ids(catch_up.alarms), ids(self.alarms[::-1]))
        self.assertFalse(catch_up.more)

    def test_it_sends_newer_alarms_and_those_stored_just_before_the_newest_the_page_has(self):
        newest_seen = self.alarms[3]

        catch_up = selectors.alarm_catch_up(since_id=newest_seen.pk, limit=10)

        # 4 and 5 are newer; 3 was stored with it (within the margin), so it may still be on its way.
        self.assertEqual(ids(catch_up.alarms), ids(self.alarms[3:][::-1]))
        self.assertFalse(catch_up.more)

    def test_it_says_when_unseen_alarms_do_not_fit(self):
        catch_up = selectors.alarm_catch_up(since_id=self.alarms[0].pk, limit=2)

        self.assertEqual(ids(catch_up.alarms), ids(self.alarms[:3:-1]))
        self.assertTrue(catch_up.more)

    def test_it_does_not_claim_more_when_only_seen_alarms_did_not_fit(self):
        catch_up = selectors.alarm_catch_up(since_id=self.alarms[4].pk, limit=2)

        self.assertEqual(ids(catch_up.alarms), ids(self.alarms[:3:-1]))
        self.assertFalse(catch_up.more)


class AcknowledgedAmongTests(TestCase):
    def test_it_returns_only_the_acknowledged_ones_of_those_asked(self):
        alarms = stored_alarms(3)
        services.alarm_acknowledge(alarm=alarms[0], by="jane")
        services.alarm_acknowledge(alarm=alarms[2], by="jane")

        found = selectors.alarm_acknowledged_among(alarm_ids=[alarms[0].pk, alarms[1].pk])

        self.assertEqual(ids(found), [alarms[0].pk])
