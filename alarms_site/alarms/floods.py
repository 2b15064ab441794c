"""Alarm floods (ISA-18.2 / EEMUA 191), computed exactly from annunciation times; no database here.

The rule, with ``W`` the window (``ALARMS_FLOOD_WINDOW_MINUTES``), ``START`` and ``END`` the
thresholds (``ALARMS_FLOOD_START``, ``ALARMS_FLOOD_END``):

- The count at a moment ``t`` is the number of alarms annunciated in ``(t - W, t]``: one
  annunciated at ``t`` counts at once, and stops counting at ``t + W`` exactly.
- A flood starts at the first moment the count is more than ``START`` (an annunciation: only
  those raise the count). Exactly ``START`` is not a flood.
- Once in flood, it ends at the first moment the count is less than ``END`` (a moment an old
  annunciation leaves the window: only those lower the count). Exactly ``END`` keeps it on.
- Annunciations and departures at the same moment are applied together before the count is
  read, as the half-open window says: at ``t_i + W`` the alarm of ``t_i`` is out and one of
  ``t_i + W`` is in.
- A flood's peak is the highest count at any moment from its start until its end.

The counts change only at arrivals and departures, so walking those merged in time order gives
every moment at which the rule can decide something, and nothing between them needs looking at.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise

# (moment, how many alarms were annunciated at it): alarms stored in one batch share a moment.
Arrivals = Sequence[tuple[datetime, int]]


@dataclass(frozen=True)
class Flood:
    """One flood: when it started, when it ended (None: still on), its highest count."""

    start: datetime
    end: datetime | None
    peak: int


def sliding_counts(arrivals: Arrivals, *, window: timedelta, until: datetime) -> Iterator[tuple[datetime, int]]:
    """(moment, count over ``(moment - window, moment]``) at every arrival or departure up to ``until``.

    ``arrivals`` must be in time order; those after ``until`` are not read. The counts start
    from nothing: annunciations before the first one given are not known here.
    """
    if any(later[0] < earlier[0] for earlier, later in pairwise(arrivals)):
        raise ValueError("arrivals must be in time order")
    inside: deque[tuple[datetime, int]] = deque()  # (departure, how many) of those in the window, in order
    count = 0
    index = 0
    while True:
        next_arrival = arrivals[index][0] if index < len(arrivals) else None
        next_departure = inside[0][0] if inside else None
        moments = [moment for moment in (next_arrival, next_departure) if moment is not None]
        if not moments or min(moments) > until:
            return
        moment = min(moments)
        while inside and inside[0][0] == moment:
            count -= inside.popleft()[1]
        while index < len(arrivals) and arrivals[index][0] == moment:
            count += arrivals[index][1]
            inside.append((moment + window, arrivals[index][1]))
            index += 1
        yield moment, count


def flood_periods(arrivals: Arrivals, *, window: timedelta, start: int, end: int, until: datetime) -> list[Flood]:
    """The floods the rule of this module finds in ``arrivals`` up to ``until``, oldest first.

    ``end`` may not exceed ``start``: otherwise a count could start a flood and end it at once.
    """
    if end > start:
        raise ValueError(f"a flood's end threshold ({end}) may not exceed its start threshold ({start})")
    floods: list[Flood] = []
    began: datetime | None = None
    peak = 0
    for moment, count in sliding_counts(arrivals, window=window, until=until):
        if began is None:
            if count > start:
                began, peak = moment, count
        elif count < end:
            floods.append(Flood(start=began, end=moment, peak=peak))
            began = None
        else:
            peak = max(peak, count)
    if began is not None:
        floods.append(Flood(start=began, end=None, peak=peak))
    return floods


def quiet_between(arrivals: Arrivals, *, window: timedelta, end: int, since: datetime, until: datetime) -> bool:
    """Whether the count is below ``end`` at some moment in ``[since, until]``: no flood is on then.

    From such a moment on, the rule's outcome no longer depends on anything before it, so
    ``flood_periods`` over arrivals starting ``window`` before it is exact after it.
    """
    count_at_since = 0
    for moment, count in sliding_counts(arrivals, window=window, until=until):
        if moment <= since:
            count_at_since = count
        elif count < end:
            return True
    return count_at_since < end
