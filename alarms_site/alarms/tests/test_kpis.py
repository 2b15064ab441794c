"""The KPI selectors on a known sequence of alarms in PostgreSQL, every figure worked out by hand.

The sequence, with the window (11:00, 12:00] of 2025-05-01 (UTC) and the default rules (a
flood above 10 in 10 minutes, over below 5):

- 10:30:00, one batch of 11: a flood starts. From 10:31:40 one alarm every 100 s until 11:05:00
  keeps 6 in the window (16 at 10:38:20, the peak, before the batch leaves at 10:40:00). The
  last six leave from 11:06:40; at 11:08:20 four are left: the flood ends, 500 s into the window.
- 11:30:00 to 11:30:55, twelve 5 s apart: a flood from the eleventh (11:30:50), peak 12, over
  when the eighth has left (11:40:35): 585 s.
- 12:00:00 one more (the window's end is in it), 12:00:01 one too late, 11:45 three raised out
  of service (stored, not annunciated).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.test import TestCase, override_settings

from alarms_site.alarms.flood_selectors import flood_now
from alarms_site.alarms.kpis import Bucket, alarm_bad_actors, alarm_kpis
from alarms_site.alarms.models import Action, JournalEntry, State
from alarms_site.alarms.tests.factories import alarms_received

DAY = datetime(2025, 5, 1, tzinfo=UTC)
NOW = DAY + timedelta(hours=12)
HOUR = timedelta(hours=1)


def clock(text: str) -> datetime:
    """10:30:00 on the test's day."""
    hours, minutes, seconds = (int(part) for part in text.split(":"))
    return DAY + timedelta(hours=hours, minutes=minutes, seconds=seconds)


def known_sequence() -> None:
    batch = clock("10:30:00")
    alarms_received([batch] * 11)
    alarms_received([batch + timedelta(seconds=100 * n) for n in range(1, 22)])  # 10:31:40 ... 11:05:00
    burst = [clock("11:30:00") + timedelta(seconds=5 * n) for n in range(12)]
    alarms_received(burst[:2], severity="critical", building_id=1, source="fan-2")
    alarms_received(burst[2:5], severity="major", building_id=2, source="pump-7")
    alarms_received(burst[5:], severity="minor", building_id=1, source="pump-7")
    alarms_received([clock("12:00:00")], severity="warning", building_id=3, source="door-1")
    alarms_received([clock("12:00:01")], severity="critical", building_id=3, source="door-1")
    alarms_received([clock("11:45:00")] * 3, building_id=1, source="pump-7", annunciated=False, out_of_service=True)


@override_settings(ALARMS_FLOOD_START=10, ALARMS_FLOOD_END=5, ALARMS_FLOOD_WINDOW_MINUTES=10)
class KnownSequenceTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        known_sequence()

    def test_it_counts_the_annunciated_alarms_of_the_half_open_window_per_ten_minutes_of_the_clock(self):
        kpis = alarm_kpis(window=HOUR, now=NOW)

        self.assertEqual((kpis.start, kpis.end, kpis.annunciated), (clock("11:00:00"), NOW, 16))
        self.assertEqual(
            kpis.buckets,
            [
                Bucket(start=clock("11:00:00"), end=clock("11:10:00"), count=3),
                Bucket(start=clock("11:10:00"), end=clock("11:20:00"), count=0),
                Bucket(start=clock("11:20:00"), end=clock("11:30:00"), count=1),  # 11:30:00 closes this one
                Bucket(start=clock("11:30:00"), end=clock("11:40:00"), count=11),
                Bucket(start=clock("11:40:00"), end=clock("11:50:00"), count=0),
                Bucket(start=clock("11:50:00"), end=clock("12:00:00"), count=1),
            ],
        )

    def test_buckets_are_cut_to_a_window_that_does_not_start_on_the_clocks_ten_minutes(self):
        kpis = alarm_kpis(window=timedelta(minutes=30), now=clock("11:45:00"))

        self.assertEqual(
            [(bucket.start, bucket.end, bucket.count) for bucket in kpis.buckets],
            [
                (clock("11:15:00"), clock("11:20:00"), 0),
                (clock("11:20:00"), clock("11:30:00"), 1),
                (clock("11:30:00"), clock("11:40:00"), 11),
                (clock("11:40:00"), clock("11:45:00"), 0),
            ],
        )

    def test_it_finds_both_floods_with_the_first_one_started_long_before_the_window(self):
        floods = alarm_kpis(window=HOUR, now=NOW).floods

        self.assertEqual(
            [(period.start, period.end, period.seconds, period.peak) for period in floods.periods],
            [
                (clock("10:30:00"), clock("11:08:20"), 2300.0, 16),
                (clock("11:30:50"), clock("11:40:35"), 585.0, 12),
            ],
        )
        self.assertEqual((floods.count, floods.seconds, floods.peak), (2, 1085.0, 16))
        self.assertAlmostEqual(floods.percent, 100 * 1085 / 3600)

    def test_a_flood_on_at_the_end_of_the_window_counts_up_to_it(self):
        floods = alarm_kpis(window=timedelta(minutes=10), now=clock("11:35:00")).floods

        [period] = floods.periods
        self.assertEqual((period.start, period.end, period.seconds), (clock("11:30:50"), None, 250.0))
        self.assertEqual((floods.seconds, floods.percent), (250.0, 100 * 250 / 600))

    def test_the_priority_mix_is_each_prioritys_share_of_the_annunciated_alarms_next_to_the_guideline(self):
        mix = alarm_kpis(window=HOUR, now=NOW).priority_mix

        self.assertEqual(
            [(share.priority, share.count, share.share, share.guideline) for share in mix],
            [("high", 2, 2 / 16, 0.05), ("medium", 3, 3 / 16, 0.15), ("low", 11, 11 / 16, 0.80)],
        )

    @override_settings(ALARMS_PRIORITY_BY_SEVERITY={**dict.fromkeys(["critical", "major"], "high"), "minor": "low",
                                                    "warning": "medium", "info": "low"})  # fmt: skip
    def test_the_priority_mix_follows_the_priority_setting(self):
        mix = alarm_kpis(window=HOUR, now=NOW).priority_mix

        self.assertEqual([(share.priority, share.count) for share in mix], [("high", 5), ("medium", 1), ("low", 10)])

    def test_bad_actors_are_the_sources_with_the_most_annunciations_and_their_share(self):
        kpis = alarm_kpis(window=HOUR, now=NOW)

        self.assertEqual(
            [(actor.building_id, actor.source, actor.count, actor.share) for actor in kpis.bad_actors],
            [(1, "pump-7", 7, 7 / 16), (2, "pump-7", 3, 3 / 16), (1, "fan-2", 2, 2 / 16), (3, "door-1", 1, 1 / 16)],
        )
        self.assertAlmostEqual(kpis.bad_actors_share, 13 / 16)

    def test_the_flood_state_now_with_its_start_and_the_rules_count(self):
        cases = {
            "11:00:00": (True, clock("10:30:00"), 6),  # its start is found 30 minutes before
            "11:08:19": (True, clock("10:30:00"), 5),
            "11:08:20": (False, None, 4),
            "11:35:00": (True, clock("11:30:50"), 12),
            "12:00:00": (False, None, 1),
        }
        for moment, expected in cases.items():
            with self.subTest(moment):
                state = flood_now(now=clock(moment))

                self.assertEqual((state.in_flood, state.since, state.count), expected)


class StandingAndChatteringTests(TestCase):
    def test_standing_alarms_are_the_open_ones_received_more_than_a_day_ago(self):
        alarms_received([NOW - timedelta(hours=25)])
        alarms_received([NOW - timedelta(hours=30)], state=State.ACTIVE_ACKNOWLEDGED)
        alarms_received([NOW - timedelta(hours=26)], state=State.CLOSED)
        alarms_received([NOW - timedelta(hours=23)])

        self.assertEqual(alarm_kpis(window=HOUR, now=NOW).standing, 2)
        with override_settings(ALARMS_STANDING_HOURS=29):
            self.assertEqual(alarm_kpis(window=HOUR, now=NOW).standing, 1)

    def test_chattering_alarms_are_those_marked_so_in_the_window_each_once(self):
        first, second, earlier = alarms_received([NOW - timedelta(hours=2)] * 3)
        for alarm, minutes_ago in [(first, 45), (first, 30), (second, 1), (earlier, 61)]:
            JournalEntry.objects.create(
                alarm=alarm, action=Action.CHATTERING, actor="system", at=NOW - timedelta(minutes=minutes_ago)
            )
        JournalEntry.objects.create(alarm=earlier, action=Action.CLEAR, actor="system", at=NOW)

        self.assertEqual(alarm_kpis(window=HOUR, now=NOW).chattering, 2)

    def test_a_quiet_window_takes_five_queries(self):
        alarms_received([NOW - timedelta(minutes=5)])

        with self.assertNumQueries(5):
            alarm_kpis(window=HOUR, now=NOW)

    def test_an_empty_window_has_zeros_and_no_division_by_zero(self):
        kpis = alarm_kpis(window=HOUR, now=NOW)

        self.assertEqual((kpis.annunciated, kpis.bad_actors, kpis.bad_actors_share), (0, [], 0))
        self.assertEqual([share.share for share in kpis.priority_mix], [0.0, 0.0, 0.0])
        self.assertEqual((kpis.floods.count, kpis.floods.percent, kpis.floods.peak), (0, 0.0, 0))
        self.assertEqual(sum(bucket.count for bucket in kpis.buckets), 0)
        self.assertEqual(len(kpis.buckets), 6)

    def test_only_the_ten_sources_with_the_most_annunciations_are_bad_actors(self):
        for rank in range(12):
            alarms_received([NOW - timedelta(minutes=1)] * (rank + 1), building_id=1, source=f"point-{rank:02}")

        actors = alarm_bad_actors(start=NOW - HOUR, end=NOW, total=78)

        self.assertEqual([actor.source for actor in actors], [f"point-{rank:02}" for rank in range(11, 1, -1)])
