"""The true counts on every live page, kept true live at a bounded cost.

A page shows at most ``ALARMS_LIVE_WINDOW`` rows, so its header cannot count its rows: in a
flood of 2,000 alarms it would say 100. The counts come from the database instead
(``selectors.alarm_counts``, one query), with the flood state (``flood_now``) and the
groups of the flood view (``selectors.alarm_groups``), as one ``counts`` frame: embedded in
the page on load, sent after every ``resume`` answer, and sent to every open page whenever
the counts may have changed.

When they may have changed: every change of an alarm is announced on the live feed once it
is committed, so each web process takes each live message it receives as "the counts may
have changed" (``CountsTicker.news``). Counting once per message would cost a query per
batch per process, and a flood arrives as many batches from several bridges; so the first
news is answered at once, news within the next ``ALARMS_LIVE_COUNTS_MS`` only marks the
counts stale, and one count at the end of that interval covers them all. Each web process
then counts at most once per interval, however many alarms, bridges and sockets there are;
a frame equal to the last one is not sent.

The interval stretches when counting is slow. The queries read every open alarm: with
100,000 open, one count took about 0.13 s, so each web process counting once a second took
an eighth of a core from storing the flood, and more as it grows. The next count waits at
least ``SLOW_COUNT_SPACING`` times as long as the last one took: counting takes at most a
tenth of the time, and in such a flood the counts lag by a second or two.

Why that stays true: a news arrives after the commit it announces, and a count started
after the news sees that commit; a news arriving while a count runs marks the counts stale
again. So the last change is always followed by a count that sees it: the counts are true
within one interval (stretched or not) of the last change. A live message lost on the way
(core NATS is at-most-once) is made good by the next one, or by the page's reconnect and its
``resume``.

Why not counts sent by the bridge after each batch: bridges commit side by side, so counts
taken by one after its commit may miss another's commit of the same moment, and the two
messages may arrive in either order, leaving pages on stale counts; web processes would
still have to count after acknowledgements they commit themselves. Counting where the news
is received, after it, has no such race.

Time alone ends a flood (alarms leave the trailing window without any news), so while the
last counts said "flood" they are taken again every ``FLOOD_RECHECK_SECONDS`` without news.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import asdict
from typing import Any

import orjson
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings

from alarms_site.alarms import live
from alarms_site.alarms.flood_now import flood_now
from alarms_site.alarms.selectors import alarm_counts, alarm_groups

COUNTS = "counts"
FLOOD_RECHECK_SECONDS = 10.0
# The next count waits at least this many times as long as the last one took (see above).
SLOW_COUNT_SPACING = 9
# The flood view's groups: enough buildings to see where it comes from, few enough that the
# frame stays far below a frame's 64 KiB (sources are up to 200 characters).
GROUP_BUILDINGS = 15
GROUP_SOURCES = 6

logger = logging.getLogger(__name__)


def counts_frame() -> dict[str, Any]:
    """The ``counts`` frame, read from the database now: the counts, the flood state, the flood view's groups."""
    groups = alarm_groups(buildings=GROUP_BUILDINGS, sources=GROUP_SOURCES)
    return {"type": COUNTS, "counts": asdict(alarm_counts()), "flood": asdict(flood_now()), "groups": asdict(groups)}


class CountsTicker:
    """Sends this process's live sockets the counts when they may have changed, at most once per interval.

    ``wanted`` says whether any socket is open here (no count for nobody); ``compute`` builds
    the frame (a database read, run in Channels' database thread).
    """

    def __init__(
        self, *, group: str, wanted: Callable[[], bool], compute: Callable[[], dict[str, Any]] = counts_frame
    ) -> None:
        self.group = group
        self.wanted = wanted
        self.compute = compute
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stale = False
        self._running: asyncio.Task | None = None
        self._recheck: asyncio.TimerHandle | None = None
        self._sent: str | None = None

    def news(self) -> None:
        """Live news arrived (or a flood may have ended): count soon, at once if no count ran within the interval."""
        loop = asyncio.get_running_loop()
        if loop is not self._loop:  # a new event loop (each async test runs on its own): start afresh
            self._loop, self._running, self._recheck, self._sent = loop, None, None, None
        self._stale = True
        if self._running is None:
            self._running = loop.create_task(self._run())

    async def _run(self) -> None:
        flooding = False
        loop = asyncio.get_running_loop()
        try:
            while self._stale:
                self._stale = False
                took = 0.0
                if self.wanted():
                    began = loop.time()
                    flooding = await self._send_counts()
                    took = loop.time() - began
                await asyncio.sleep(max(settings.ALARMS_LIVE_COUNTS_MS / 1000, took * SLOW_COUNT_SPACING))
        finally:
            self._running = None
        if self._recheck is not None:
            self._recheck.cancel()
        self._recheck = asyncio.get_running_loop().call_later(FLOOD_RECHECK_SECONDS, self.news) if flooding else None

    async def _send_counts(self) -> bool:
        """Count and send the frame if it changed; whether a flood is on."""
        try:
            frame = await database_sync_to_async(self.compute)()
        except Exception:  # the database is away for a moment: the next news counts again
            logger.warning("live counts not taken; the next change tries again", exc_info=True)
            return False
        text = orjson.dumps(frame).decode()
        if text != self._sent:
            self._sent = text
            await get_channel_layer().group_send(self.group, {"type": live.FRAME, "text": text})
        return bool(frame["flood"]["active"])
