"""Alarm lifecycles of the buildings' points, tick by tick: raised, repeated now and then, cleared.

Pure and clock-free: the model only counts ticks, and every choice comes from the RNG it is
given, so the same seed gives the same changes in the same order and it is tested without
NATS or a clock. The generator publishes what each tick returns.

A raised point clears after a random hold time and, while active, sometimes sends its alarm
again (the alarms service counts that as an occurrence of the open alarm). A chattering point,
once raised, flips every tick: cleared, raised again, cleared... for a few cycles, as a sensor
sitting on its threshold does. Within one tick a point changes at most once, so a raise is
always published, and acknowledged, a tick before the clear that follows it.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass
from enum import StrEnum

from alarms_generator.alarms import SEVERITY_WEIGHTS
from alarms_generator.points import Point, building_points

HOLD_TICKS = (3, 30)  # a raised point clears after this many ticks
REPEAT_CHANCE = 0.05  # each tick, the chance that an active point sends its alarm again
CHATTER_CYCLES = (3, 6)  # a chattering point raises and clears this many times, one flip a tick


class Kind(StrEnum):
    RAISE = "raise"
    REPEAT = "repeat"
    CLEAR = "clear"


@dataclass(frozen=True)
class Change:
    """What happened to one point in one tick."""

    kind: Kind
    point: Point


class Lifecycle:
    """The points of buildings ``buildings`` and which of them are active, advanced one tick at a time."""

    def __init__(self, rng: random.Random, *, buildings: tuple[int, int], chattering: float) -> None:
        self._rng = rng
        self._buildings = buildings
        self._chattering = chattering
        self._points_seed = rng.getrandbits(64)
        self._points: dict[int, tuple[Point, ...]] = {}
        self._clears_at: dict[Point, int] = {}  # active point -> the tick it clears
        self._raises_at: dict[Point, int] = {}  # chattering point between flips -> the tick it raises again
        self._raises_left: dict[Point, int] = {}  # chattering point -> raises still to come in its episode
        self._now = 0

    @property
    def active(self) -> frozenset[Point]:
        """The points whose alarm is raised and not cleared."""
        return frozenset(self._clears_at)

    def points(self, building: int) -> tuple[Point, ...]:
        """The fixed points of ``building``."""
        if building not in self._points:
            self._points[building] = building_points(
                seed=self._points_seed, building=building, chattering=self._chattering
            )
        return self._points[building]

    def tick(self, *, raises: int) -> list[Change]:
        """One tick: due clears and chatter, repeats, then ``raises`` new alarms on points not active."""
        now, self._now = self._now, self._now + 1
        changes = self._clear_due(now)
        changes += self._chatter_due(now)
        changes += self._repeat_some()
        touched = {change.point for change in changes}
        for _ in range(raises):
            change = self._raise_one(now, touched)
            if change is not None:
                touched.add(change.point)
                changes.append(change)
        return changes

    def _clear_due(self, now: int) -> list[Change]:
        changes = []
        for point, due in list(self._clears_at.items()):
            if due > now:
                continue
            del self._clears_at[point]
            changes.append(Change(Kind.CLEAR, point))
            if self._raises_left.get(point):
                self._raises_left[point] -= 1
                self._raises_at[point] = now + 1
            else:
                self._raises_left.pop(point, None)
        return changes

    def _chatter_due(self, now: int) -> list[Change]:
        changes = []
        for point, due in list(self._raises_at.items()):
            if due <= now:
                del self._raises_at[point]
                self._clears_at[point] = now + 1
                changes.append(Change(Kind.RAISE, point))
        return changes

    def _repeat_some(self) -> list[Change]:
        # Chattering points flip every tick already; a point raised this tick is not yet active.
        steady = [point for point in self._clears_at if point not in self._raises_left]
        return [Change(Kind.REPEAT, point) for point in steady if self._rng.random() < REPEAT_CHANCE]

    def _raise_one(self, now: int, touched: set[Point]) -> Change | None:
        points = self.points(self._rng.randint(*self._buildings))
        idle = [p for p in points if p not in self._clears_at and p not in self._raises_at and p not in touched]
        if not idle:
            # Every point of the building is busy: the alarm is one of the active ones again.
            again = [p for p in points if p in self._clears_at and p not in self._raises_left and p not in touched]
            return Change(Kind.REPEAT, self._rng.choice(again)) if again else None
        point = self._weighted_choice(idle)
        if point.chattering:
            self._raises_left[point] = self._rng.randint(*CHATTER_CYCLES) - 1
            self._clears_at[point] = now + 1
        else:
            self._clears_at[point] = now + self._rng.randint(*HOLD_TICKS)
        return Change(Kind.RAISE, point)

    def _weighted_choice(self, points: list[Point]) -> Point:
        """A point, its severity drawn by ``SEVERITY_WEIGHTS``: most alarms are routine, few critical."""
        by_severity: dict[str, list[Point]] = defaultdict(list)
        for point in points:
            by_severity[point.severity].append(point)
        severities = [severity for severity in SEVERITY_WEIGHTS if severity in by_severity]
        severity = self._rng.choices(severities, weights=[SEVERITY_WEIGHTS[s] for s in severities])[0]
        return self._rng.choice(by_severity[severity])
