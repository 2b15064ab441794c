"""An alarm flood on demand: many extra alarms within a short stretch at the start of a run, then normal.

ISA-18.2 calls more than 10 alarms in 10 minutes for one operator a flood; the defaults
(200 within 60 s) are far past that, to show how the alarms service and its pages cope.
Only the timing lives here, counted in ticks; which points the alarms fall on comes from the
run's seeded RNG like every other alarm.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

DEFAULT_SIZE = 200
DEFAULT_SECONDS = 60.0


@dataclass(frozen=True)
class Flood:
    """``size`` extra alarms spread evenly over the first ``ticks`` ticks."""

    size: int
    ticks: int

    @classmethod
    def within(cls, *, size: int, seconds: float, interval: float) -> Flood:
        """A flood of ``size`` alarms within ``seconds`` at one tick every ``interval`` (0: all in the first tick)."""
        # Tick n starts n intervals after the first, so rounding up keeps the last one inside ``seconds``.
        return cls(size=size, ticks=max(1, math.ceil(seconds / interval)) if interval > 0 else 1)

    def extra(self, tick: int) -> int:
        """How many alarms tick number ``tick`` (from 0) adds."""
        if not 0 <= tick < self.ticks:
            return 0
        return self.size * (tick + 1) // self.ticks - self.size * tick // self.ticks
