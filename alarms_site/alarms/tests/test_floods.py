"""The flood rule on known sequences: where a flood starts, where it ends, its peak, and the edges."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.test import SimpleTestCase

from alarms_site.alarms.floods import Flood, flood_periods, quiet_between, sliding_counts

T0 = datetime(2025, 5, 1, 10, 0, tzinfo=UTC)
W = timedelta(minutes=10)
LATER = T0 + timedelta(days=1)


def at(*seconds: float) -> list[tuple[datetime, int]]:
    """One annunciation at each of ``seconds`` after T0."""
    return [(T0 + timedelta(seconds=s), 1) for s in seconds]


def s(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def floods(arrivals, *, until: datetime = LATER) -> list[Flood]:
    return flood_periods(arrivals, window=W, start=10, end=5, until=until)


class FloodStartTests(SimpleTestCase):
    def test_eleven_annunciations_within_ten_minutes_start_a_flood_at_the_eleventh(self):
        [flood] = floods(at(*range(0, 110, 10)))  # 0 s, 10 s ... 100 s: eleven

        self.assertEqual(flood.start, s(100))
        self.assertEqual(flood.peak, 11)

    def test_exactly_ten_within_ten_minutes_is_not_a_flood(self):
        self.assertEqual(floods(at(*range(0, 100, 10))), [])

    def test_the_window_is_half_open_so_the_first_has_left_when_the_eleventh_comes_exactly_ten_minutes_later(self):
        # The first at 0 s, nine more soon after, the eleventh at 600 s: (0 s, 600 s] holds ten.
        self.assertEqual(floods(at(0, *range(100, 190, 10), 600)), [])

    def test_one_microsecond_earlier_the_eleventh_starts_a_flood(self):
        [flood] = floods(at(0, *range(100, 190, 10), 600 - 1e-6))

        self.assertEqual(flood.start, s(600 - 1e-6))

    def test_a_batch_stored_at_one_moment_counts_whole_at_that_moment(self):
        [flood] = floods([(s(0), 4), (s(30), 7)])

        self.assertEqual((flood.start, flood.peak), (s(30), 11))


class FloodEndTests(SimpleTestCase):
    def test_it_ends_exactly_when_an_old_annunciation_leaves_and_the_count_drops_to_four(self):
        # Eleven from 0 s to 100 s: a flood from 100 s. They leave at 600 s, 610 s ...; after
        # the seventh leaves (660 s) four are left.
        [flood] = floods(at(*range(0, 110, 10)))

        self.assertEqual(flood.end, s(660))

    def test_exactly_five_in_the_window_keeps_it_on(self):
        # One more at 605 s: at 660 s five are in (70, 80, 90, 100 and 605 s); at 670 s four.
        [flood] = floods(at(*range(0, 110, 10), 605))

        self.assertEqual(flood.end, s(670))

    def test_an_arrival_at_the_moment_an_old_one_leaves_is_counted_with_it(self):
        # At 660 s the seventh leaves and one comes: still five, so not over at 660 s.
        [flood] = floods(at(*range(0, 110, 10), 660))

        self.assertEqual(flood.end, s(670))

    def test_the_peak_is_the_highest_count_while_on_and_a_later_flood_is_a_new_one(self):
        first = range(0, 130, 10)  # thirteen: start at 100 s (11), peak 13
        second = range(2000, 2110, 10)  # eleven more, long after the first ended
        early, late = floods(at(*first, *second))

        self.assertEqual((early.start, early.peak), (s(100), 13))
        self.assertEqual(early.end, s(680))  # 0..80 s leave at 600..680 s: 4 left after the ninth
        self.assertEqual((late.start, late.end, late.peak), (s(2100), s(2660), 11))

    def test_a_flood_still_on_at_the_end_has_no_end(self):
        [flood] = floods(at(*range(0, 110, 10)), until=s(659))

        self.assertEqual((flood.start, flood.end, flood.peak), (s(100), None, 11))

    def test_the_end_threshold_is_used_not_the_start_one_hysteresis(self):
        # One every 100 s after the start keeps six in the window: fewer than 11, not fewer than 5.
        arrivals = at(*range(0, 110, 10), *range(160, 3000, 100))
        [flood] = floods(arrivals, until=s(3000))

        self.assertIsNone(flood.end)


class RuleInputTests(SimpleTestCase):
    def test_it_refuses_arrivals_out_of_time_order(self):
        with self.assertRaises(ValueError):
            floods(at(10, 5))

    def test_it_refuses_an_end_threshold_above_the_start_threshold(self):
        with self.assertRaises(ValueError):
            flood_periods(at(0), window=W, start=5, end=6, until=LATER)

    def test_sliding_counts_rise_at_arrivals_and_fall_exactly_window_later(self):
        counts = list(sliding_counts(at(0, 30), window=W, until=s(630)))

        self.assertEqual(counts, [(s(0), 1), (s(30), 2), (s(600), 1), (s(630), 0)])

    def test_quiet_between_looks_at_the_count_at_its_first_moment_and_at_every_change_after(self):
        busy = at(*range(0, 110, 10))  # the count is 11 from 100 s, 4 from 660 s

        self.assertFalse(quiet_between(busy, window=W, end=5, since=s(100), until=s(659)))
        self.assertTrue(quiet_between(busy, window=W, end=5, since=s(100), until=s(660)))
        self.assertFalse(quiet_between(busy, window=W, end=5, since=s(40), until=s(90)))  # 5 at 40 s, then more
        self.assertTrue(quiet_between(busy, window=W, end=5, since=s(35), until=s(90)))  # 4 from 30 s to 40 s
