"""Runs a site's scheduled handlers (``routes.Every``) in the bridge, until it stops."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from bridge.metrics import SCHEDULED_RUNS
from bridge.routes import Every
from bridge.runtime import Runtime

logger = logging.getLogger("bridge.schedules")


class Schedule:
    """One ``Every``: run at once, then every ``seconds`` after the previous run ended."""

    def __init__(self, every: Every, *, runtime: Runtime) -> None:
        self.every = every
        self.runtime = runtime

    async def run(self) -> None:
        while not self.runtime.stopping.is_set():
            await self.run_once()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.runtime.stopping.wait(), timeout=self.every.seconds)

    async def run_once(self) -> bool:
        """Run the handler once; False when it failed (logged with its traceback, counted)."""
        try:
            await self.runtime.run_sync(self.every.handler)
        except Exception:
            logger.exception("scheduled %s failed; it runs again in %s s", self.every.name, self.every.seconds)
            SCHEDULED_RUNS.labels(schedule=self.every.name, result="failed").inc()
            return False
        SCHEDULED_RUNS.labels(schedule=self.every.name, result="ok").inc()
        return True
