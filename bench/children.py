"""Load generators as child processes, so their CPU is measured apart from the system's.

``os.wait4`` returns the rusage of exactly one child: the CPU the load generator burnt,
which tells whether it, rather than the system, was the bottleneck.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from typing import Any

from stack.system import REPO_ROOT


@dataclass
class Finished:
    """What a load generator printed, how long it ran and how much CPU it took."""

    output: str
    returncode: int
    wall_seconds: float
    cpu_seconds: float

    @property
    def cpu_share(self) -> float:
        """CPU used as a fraction of one core over the child's life."""
        return self.cpu_seconds / self.wall_seconds if self.wall_seconds else 0.0

    def result(self) -> dict[str, Any]:
        """The JSON object a ``bench.client`` child prints as its last line."""
        for line in reversed(self.output.splitlines()):
            if line.startswith("{"):
                return json.loads(line)
        raise RuntimeError(f"load generator printed no result (exit {self.returncode}):\n{self.output[-3000:]}")


class Child:
    """One running load generator; its output goes to a temporary file we can read while it runs."""

    def __init__(self, argv: list[str]) -> None:
        self.argv = argv
        self._output = tempfile.TemporaryFile()  # noqa: SIM115 - closed in finish()
        self._started = time.monotonic()
        self.popen = subprocess.Popen(
            argv, stdout=self._output, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=REPO_ROOT
        )

    def output_so_far(self) -> str:
        self._output.seek(0)
        return self._output.read().decode(errors="replace")

    def finish(self, timeout: float) -> Finished:
        """Wait for the child (killing it after ``timeout`` seconds) and return what it did."""
        deadline = time.monotonic() + timeout
        while True:
            pid, status, usage = os.wait4(self.popen.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() > deadline:
                os.kill(self.popen.pid, signal.SIGKILL)
                pid, status, usage = os.wait4(self.popen.pid, 0)
                break
            time.sleep(0.02)
        self.popen.returncode = os.waitstatus_to_exitcode(status)
        wall = time.monotonic() - self._started
        output = self.output_so_far()
        self._output.close()
        return Finished(output, self.popen.returncode, wall, usage.ru_utime + usage.ru_stime)


def python_client(kind: str, params: dict[str, Any]) -> list[str]:
    """argv of a ``bench.client`` child running the async load generator ``kind``."""
    return [sys.executable, "-m", "bench.client", kind, json.dumps(params)]


def run(argv: list[str], timeout: float) -> Finished:
    """Start a load generator and wait for it."""
    return Child(argv).finish(timeout)


def cpu_note(finished: list[Finished], what: str) -> str:
    """One sentence on how busy the load generator was."""
    cpu = sum(f.cpu_seconds for f in finished)
    wall = sum(f.wall_seconds for f in finished)
    share = cpu / wall if wall else 0.0
    return f"{what} used {cpu:.1f} s CPU over {wall:.1f} s ({share:.0%} of one core)"
