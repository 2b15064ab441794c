"""Keeps the run command's processes running: a process that dies is restarted, with back-off.

Compose restarts a dead container (``restart: unless-stopped``); this does the same for
``python -m stack run``, and says so on the console. A process that keeps dying soon after
it starts (a bad setting, a port taken, a database gone) is not retried for ever: after
``max_quick_exits`` such exits in a row everything is stopped and the run exits non-zero,
so the failure is seen rather than scrolled past.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from dataclasses import dataclass

from stack.procs import Proc, ProcGroup

log = logging.getLogger("stack")


@dataclass
class Restarts:
    """What the supervisor remembers of one process."""

    started_at: float
    count: int = 0  # restarts so far in this run
    quick_exits: int = 0  # exits in a row, each within ``settle_seconds`` of its start
    due_at: float | None = None  # when a dead process is started again


def describe_exit(code: int | None) -> str:
    """``exit status 3``, or ``killed by SIGKILL`` for a signal (Popen's negative codes)."""
    if code is not None and code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit status {code}"


class Supervisor:
    """Watches a ``ProcGroup``: restarts what dies unasked, gives up on what cannot stay up."""

    def __init__(
        self,
        group: ProcGroup,
        *,
        settle_seconds: float = 30.0,
        max_quick_exits: int = 5,
        first_delay: float = 1.0,
        max_delay: float = 30.0,
    ) -> None:
        self.group = group
        self.settle_seconds = settle_seconds
        self.max_quick_exits = max_quick_exits
        self.first_delay = first_delay
        self.max_delay = max_delay
        now = time.monotonic()
        self.restarts = {proc.spec.name: Restarts(started_at=now) for proc in group.procs}
        self.gave_up: str | None = None

    def check(self) -> bool:
        """Restart what is due, schedule what just died; False once a process is given up on."""
        now = time.monotonic()
        for proc in self.group.procs:
            if proc.alive() or proc.stopped_on_purpose():
                continue
            state = self.restarts.setdefault(proc.spec.name, Restarts(started_at=now))
            if state.due_at is None:
                if not self._schedule(proc, state, now):
                    return False
            elif now >= state.due_at:
                self._restart(proc, state, now)
        return True

    def _schedule(self, proc: Proc, state: Restarts, now: float) -> bool:
        """Note a death; False when it was one quick exit too many."""
        code = proc.popen.returncode if proc.popen is not None else None
        ran = now - state.started_at
        state.quick_exits = state.quick_exits + 1 if ran < self.settle_seconds else 1
        if state.quick_exits >= self.max_quick_exits:
            self.gave_up = proc.spec.name
            log.error(
                "%s exited (%s) %d times in a row within %.0fs of starting: giving up, stopping everything",
                proc.spec.name,
                describe_exit(code),
                state.quick_exits,
                self.settle_seconds,
            )
            return False
        delay = min(self.max_delay, self.first_delay * 2 ** (state.quick_exits - 1))
        state.due_at = now + delay
        log.warning(
            "%s exited (%s) after %.1fs; restart %d in %.1fs (see %s)",
            proc.spec.name,
            describe_exit(code),
            ran,
            state.count + 1,
            delay,
            proc.log_path,
        )
        return True

    def _restart(self, proc: Proc, state: Restarts, now: float) -> None:
        state.count += 1
        state.due_at = None
        state.started_at = now
        proc.start()
        log.warning("%s restarted (restart %d, pid %d)", proc.spec.name, state.count, proc.pid)

    def run(self, stop: threading.Event, interval: float = 0.5) -> int:
        """Check every ``interval`` seconds until ``stop`` is set (0) or a process is given up on (1)."""
        while not stop.wait(interval):
            if not self.check():
                return 1
        return 0
