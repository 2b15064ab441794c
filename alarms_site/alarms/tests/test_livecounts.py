"""The counts ticker: at most one count per interval however much news arrives, and one after the last news."""

from __future__ import annotations

import asyncio
import time
from typing import Any
from unittest import mock

import orjson
from channels.layers import get_channel_layer
from django.test import SimpleTestCase, override_settings

from alarms_site.alarms import live, livecounts
from alarms_site.alarms.livecounts import CountsTicker

GROUP = "test-counts"


class Counter:
    """A stand-in for the database count: each call gives the next counts."""

    def __init__(self, *, flood: bool = False) -> None:
        self.calls = 0
        self.flood = flood

    def __call__(self) -> dict[str, Any]:
        self.calls += 1
        return {"type": "counts", "counts": {"unacknowledged": self.calls}, "flood": {"active": self.flood}}


async def sent_frames(channel: str) -> list[dict[str, Any]]:
    """Every frame the group sent ``channel`` so far."""
    layer = get_channel_layer()
    frames = []
    while True:
        try:
            message = await asyncio.wait_for(layer.receive(channel), 0.05)
        except TimeoutError:
            return frames
        assert message["type"] == live.FRAME
        frames.append(orjson.loads(message["text"]))


@override_settings(ALARMS_LIVE_COUNTS_MS=200)
class CountsTickerTests(SimpleTestCase):
    async def listen(self) -> None:
        """Join the group as a socket would (each async test runs on a loop of its own)."""
        self.channel = await get_channel_layer().new_channel()
        await get_channel_layer().group_add(GROUP, self.channel)

    async def test_it_counts_at_once_then_once_more_for_all_the_news_of_the_interval(self):
        await self.listen()
        counter = Counter()
        ticker = CountsTicker(group=GROUP, wanted=lambda: True, compute=counter)

        for _ in range(50):  # a flood's worth of batches within one interval
            ticker.news()
            await asyncio.sleep(0.001)
        await asyncio.sleep(0.6)

        self.assertEqual(counter.calls, 2)
        frames = await sent_frames(self.channel)
        self.assertEqual([frame["counts"]["unacknowledged"] for frame in frames], [1, 2])

    async def test_a_slow_count_spaces_the_next_ones_so_counting_takes_a_tenth_of_the_time(self):
        await self.listen()
        counter = Counter()
        began: list[float] = []

        def slow() -> dict[str, Any]:
            began.append(time.monotonic())
            time.sleep(0.1)  # a count over a flood of open alarms
            return counter()

        ticker = CountsTicker(group=GROUP, wanted=lambda: True, compute=slow)
        with self.settings(ALARMS_LIVE_COUNTS_MS=50):
            ticker.news()
            await asyncio.sleep(0.3)
            ticker.news()  # news while the stretched interval runs: counted at its end
            await asyncio.sleep(1.5)

        self.assertEqual(counter.calls, 2)
        self.assertGreaterEqual(began[1] - began[0], 0.1 + 0.1 * livecounts.SLOW_COUNT_SPACING)

    async def test_it_sends_nothing_when_the_counts_did_not_change(self):
        await self.listen()
        same = {"type": "counts", "counts": {"unacknowledged": 3}, "flood": {"active": False}}
        ticker = CountsTicker(group=GROUP, wanted=lambda: True, compute=lambda: same)

        ticker.news()
        await asyncio.sleep(0.3)
        ticker.news()
        await asyncio.sleep(0.3)

        self.assertEqual(len(await sent_frames(self.channel)), 1)

    async def test_it_counts_nothing_while_no_socket_is_open_here(self):
        await self.listen()
        counter = Counter()
        ticker = CountsTicker(group=GROUP, wanted=lambda: False, compute=counter)

        ticker.news()
        await asyncio.sleep(0.3)

        self.assertEqual(counter.calls, 0)

    async def test_in_a_flood_it_counts_again_without_news_so_the_flood_can_end(self):
        await self.listen()
        counter = Counter(flood=True)
        ticker = CountsTicker(group=GROUP, wanted=lambda: True, compute=counter)

        with self.settings(ALARMS_LIVE_COUNTS_MS=50), mock.patch.object(livecounts, "FLOOD_RECHECK_SECONDS", 0.1):
            ticker.news()  # the only news
            await asyncio.sleep(0.5)
            in_flood = counter.calls
            counter.flood = False
            await asyncio.sleep(0.5)

        self.assertGreaterEqual(in_flood, 3)
        self.assertEqual(counter.calls, in_flood + 1)  # the count that saw the flood end, then no more

    async def test_a_failed_count_is_logged_and_the_next_news_counts_again(self):
        await self.listen()
        counter = Counter()
        calls = []

        def flaky() -> dict[str, Any]:
            calls.append(1)
            if len(calls) == 1:
                raise RuntimeError("the database went away")
            return counter()

        ticker = CountsTicker(group=GROUP, wanted=lambda: True, compute=flaky)
        with self.assertLogs("alarms_site.alarms.livecounts", "WARNING"):
            ticker.news()
            await asyncio.sleep(0.3)
        ticker.news()
        await asyncio.sleep(0.3)

        self.assertEqual(len(await sent_frames(self.channel)), 1)
