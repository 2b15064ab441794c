"""The points' lifecycles and the flood, tick by tick, without NATS or a clock."""

from __future__ import annotations

import random
from collections import Counter

from alarms_generator.flood import Flood
from alarms_generator.lifecycle import HOLD_TICKS, Change, Kind, Lifecycle
from alarms_generator.options import parse_options
from alarms_generator.points import building_points
from alarms_generator.ticks import Ticks


def run(lifecycle: Lifecycle, ticks: int, *, raises: int = 1) -> list[list[Change]]:
    return [lifecycle.tick(raises=raises) for _ in range(ticks)]


def key(change: Change) -> tuple[int, str, str]:
    return change.point.building, change.point.source, change.point.name


def sequence(*args: str, ticks: int = 200) -> list[list[tuple[str, str, dict]]]:
    """Each tick's (subject, kind, payload without id and time) of a run with ``args``."""
    plan = Ticks(parse_options(args))
    return [
        [
            (m.subject, m.kind, {k: v for k, v in m.payload.items() if k not in ("id", "occurredAt")})
            for m in plan.next()
        ]
        for _ in range(ticks)
    ]


def test_the_same_seed_gives_the_same_events_with_fresh_ids():
    args = ("--lifecycle", "points", "--seed", "5", "--chattering", "0.2", "--flood", "--buildings", "1-20")

    first, second = sequence(*args), sequence(*args)

    assert first == second
    assert sequence(*args[:3], "6", *args[4:]) != first
    kinds = Counter(kind for tick in first for _, kind, _ in tick)
    assert set(kinds) == {"raise", "repeat", "clear"}
    ids = [[m.payload["id"] for m in Ticks(parse_options(args)).next()] for _ in range(2)]
    assert not set(ids[0]) & set(ids[1])


def test_its_independent_alarms_are_todays_alarms_and_still_seeded():
    first = sequence("--seed", "5", ticks=20)

    assert first == sequence("--seed", "5", ticks=20)
    assert {kind for tick in first for _, kind, _ in tick} == {"alarm"}
    assert all("source" not in payload for tick in first for _, _, payload in tick)


def test_every_clear_and_repeat_is_of_an_active_alarm_and_no_point_changes_twice_a_tick():
    lifecycle = Lifecycle(random.Random(7), buildings=(1, 5), chattering=0.1)
    active: set[tuple[int, str, str]] = set()
    seen: Counter[Kind] = Counter()

    for _ in range(2000):
        tick = lifecycle.tick(raises=3)
        assert len({change.point for change in tick}) == len(tick), tick
        for change in tick:
            seen[change.kind] += 1
            if change.kind == Kind.RAISE:
                assert key(change) not in active, change
                active.add(key(change))
            else:
                assert key(change) in active, change
                if change.kind == Kind.CLEAR:
                    active.remove(key(change))
        assert active == {(p.building, p.source, p.name) for p in lifecycle.active}

    assert min(seen.values()) > 100 and len(seen) == 3, seen


def test_a_steady_point_holds_its_alarm_for_a_while_before_it_clears():
    lifecycle = Lifecycle(random.Random(8), buildings=(1, 50), chattering=0.0)
    raised_at: dict[tuple, int] = {}
    holds = []

    for number, tick in enumerate(run(lifecycle, 1000)):
        for change in tick:
            if change.kind == Kind.RAISE:
                raised_at[key(change)] = number
            elif change.kind == Kind.CLEAR:
                holds.append(number - raised_at.pop(key(change)))

    assert len(holds) > 500
    assert (min(holds), max(holds)) == HOLD_TICKS
    assert len(set(holds)) > 10


def test_a_chattering_point_raises_and_clears_three_times_within_a_minute_at_the_default_interval():
    ticks_a_minute = int(60 / parse_options([]).interval)  # the default, slowest pace: 6 ticks
    lifecycle = Lifecycle(random.Random(9), buildings=(1, 10), chattering=0.3)
    ticks = run(lifecycle, 600)
    changes = [(number, change) for number, tick in enumerate(ticks) for change in tick if change.point.chattering]
    cleared_at = {(number, change.point) for number, change in changes if change.kind == Kind.CLEAR}
    # An episode starts with a raise that no clear of the same point came just before.
    starts = [
        (number, change.point)
        for number, change in changes
        if change.kind == Kind.RAISE and (number - 1, change.point) not in cleared_at
        and number + ticks_a_minute <= len(ticks)
    ]  # fmt: skip

    assert len(starts) > 20
    for start, point in starts:
        clears = [t for t in range(start, start + ticks_a_minute) if (t, point) in cleared_at]
        assert len(clears) >= 3, (start, point)


def test_only_the_share_of_points_asked_for_chatters():
    points = [p for building in range(1, 201) for p in building_points(seed=1, building=building, chattering=0.05)]

    share = sum(point.chattering for point in points) / len(points)

    assert 0.03 < share < 0.07
    assert not any(p.chattering for p in building_points(seed=1, building=1, chattering=0.0))
    assert [p.source for p in building_points(seed=1, building=1, chattering=0.5)] == [
        p.source for p in building_points(seed=1, building=1, chattering=0.0)
    ]


def test_its_flood_spreads_its_size_evenly_over_the_seconds_asked_for():
    flood = Flood.within(size=200, seconds=60, interval=10)

    assert flood.ticks == 6  # ticks at 0, 10, ... 50 s
    assert sum(flood.extra(tick) for tick in range(100)) == 200
    assert {flood.extra(tick) for tick in range(6)} <= {33, 34}
    assert flood.extra(6) == 0
    assert Flood.within(size=5, seconds=60, interval=7).ticks == 9  # the last at 56 s
    assert Flood.within(size=5, seconds=60, interval=0).ticks == 1


def test_a_flood_raises_its_alarms_across_many_points_within_its_seconds_then_goes_back_to_normal():
    flood_ticks = int(60 / 10)
    args = ("--lifecycle", "points", "--seed", "3", "--chattering", "0", "--flood", "--interval", "10")

    ticks = sequence(*args, ticks=60)

    raised = [payload for tick in ticks[:flood_ticks] for _, kind, payload in tick if kind == "raise"]
    assert len(raised) == 200 + flood_ticks  # the flood on top of one new alarm a tick
    assert len({(a["buildingId"], a["source"]) for a in raised}) > 0.9 * len(raised)
    assert len({a["buildingId"] for a in raised}) > 50
    after = [sum(kind == "raise" for _, kind, _ in tick) for tick in ticks[flood_ticks:]]
    assert set(after) == {1}


def test_a_flood_of_independent_alarms_comes_on_top_of_the_burst():
    ticks = sequence("--seed", "3", "--flood", "--flood-size", "50", "--flood-seconds", "2", "--rate", "2", ticks=8)

    assert [len(tick) for tick in ticks] == [13, 14, 13, 14, 1, 1, 1, 1]  # 50 over the 4 ticks of 2 s


def test_it_ends_a_tick_on_the_alarm_that_reaches_the_count_keeping_the_clears_before_it():
    options = parse_options(["--lifecycle", "points", "--seed", "4", "--burst", "5", "--buildings", "1-3"])
    whole, limited = Ticks(options), Ticks(options)
    cut_short = 0

    for _ in range(200):
        every, cut = whole.next(), limited.next(most_created=2)
        created = [index for index, message in enumerate(every) if message.creates]
        expected = every[: created[2]] if len(created) > 2 else every
        assert [(m.kind, m.payload["source"]) for m in cut] == [(m.kind, m.payload["source"]) for m in expected]
        cut_short += len(cut) < len(every) and any(m.kind == "clear" for m in cut)

    assert cut_short > 10
    assert len(Ticks(parse_options(["--seed", "1", "--burst", "9"])).next(most_created=4)) == 4
