"""What the bridge's workers need from the process that runs them, and nothing more.

The request batcher, the JetStream consumer and the outbox relay each watch one stop event
and run blocking Django code in the process's worker threads. They depend on this protocol,
not on ``bridge.runner.Bridge``, so the runner imports its workers and none imports it back.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

T = TypeVar("T")


class Runtime(Protocol):
    """The stop event a worker watches, and the pool its Django calls run in."""

    stopping: asyncio.Event

    async def run_sync(self, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run ``function`` in a worker thread with a usable database connection."""
        ...
