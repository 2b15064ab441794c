"""Scheduled handlers: run at start, then every interval; a failure is logged and the next run still comes."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.test import SimpleTestCase

from bridge.metrics import SCHEDULED_RUNS
from bridge.routes import Every, RouteTable
from bridge.schedules import Schedule


class ThreadRuntime:
    """What a schedule needs of the bridge: a stop event, and a thread to run Django code in."""

    def __init__(self) -> None:
        self.stopping = asyncio.Event()

    async def run_sync(self, function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        return await asyncio.to_thread(function, *args, **kwargs)


class ScheduleTests(SimpleTestCase):
    def test_it_runs_at_start_then_every_interval_until_the_bridge_stops(self):
        runs: list[float] = []

        async def scenario() -> None:
            runtime = ThreadRuntime()
            loop = asyncio.get_running_loop()
            every = Every(name="tick", seconds=0.05, handler=lambda: runs.append(loop.time()))
            task = asyncio.create_task(Schedule(every, runtime=runtime).run())
            await asyncio.sleep(0.28)
            runtime.stopping.set()
            await asyncio.wait_for(task, timeout=1)

        asyncio.run(scenario())

        self.assertGreaterEqual(len(runs), 3)
        self.assertLessEqual(len(runs), 7)
        gaps = [later - earlier for earlier, later in itertools.pairwise(runs)]
        self.assertTrue(all(gap >= 0.045 for gap in gaps), gaps)

    def test_a_failing_run_is_logged_and_counted_and_the_next_run_comes(self):
        calls: list[int] = []

        def flaky() -> None:
            calls.append(1)
            if len(calls) == 1:
                raise RuntimeError("database away")

        failed = SCHEDULED_RUNS.labels(schedule="flaky", result="failed")
        before = failed._value.get()

        async def scenario() -> None:
            runtime = ThreadRuntime()
            schedule = Schedule(Every(name="flaky", seconds=60, handler=flaky), runtime=runtime)
            with self.assertLogs("bridge.schedules", "ERROR") as logs:
                self.assertFalse(await schedule.run_once())
            self.assertIn("database away", "\n".join(logs.output))
            self.assertTrue(await schedule.run_once())

        asyncio.run(scenario())

        self.assertEqual((len(calls), failed._value.get() - before), (2, 1))

    def test_a_schedule_needs_a_name_a_positive_interval_and_one_name_per_site(self):
        for name, seconds in [("bad name", 1), ("ok", 0), ("ok", -1)]:
            with self.subTest(name=name, seconds=seconds), self.assertRaises(ImproperlyConfigured):
                Every(name=name, seconds=seconds, handler=print)
        with self.assertRaises(ImproperlyConfigured):
            RouteTable(
                service="s", version="1.0.0", routes=[], schedules=[Every(name="a", seconds=1, handler=print)] * 2
            )
