"""Stop signals for the asyncio processes (bridges, the generator), handled the same way."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


def on_stop_signals(stop: Callable[[], None]) -> None:
    """Call ``stop`` on SIGTERM or SIGINT, inside the running loop, so a process drains
    what it has in hand and exits 0 instead of dying mid-message."""
    loop = asyncio.get_running_loop()
    for signum in STOP_SIGNALS:
        loop.add_signal_handler(signum, stop)
