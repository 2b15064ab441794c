"""Child processes with captured logs, readiness checks and orderly stops."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Spec:
    """How to start one process and how to tell it is ready."""

    name: str
    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)
    ready_url: str | None = None
    ready_log: str | None = None


class Proc:
    """One running child; its output goes to ``<log_dir>/<name>.log`` (and the console if asked)."""

    def __init__(self, spec: Spec, *, log_dir: Path, echo: bool = False) -> None:
        self.spec = spec
        self.log_path = log_dir / f"{spec.name}.log"
        self.echo = echo
        self.popen: subprocess.Popen | None = None
        self._reader: threading.Thread | None = None
        self._log_offset = 0  # a restarted process appends to the same log; read only its own part
        self._terminated = False

    @property
    def pid(self) -> int:
        assert self.popen is not None
        return self.popen.pid

    def start(self) -> Proc:
        """Start the process (in its own session, so signals reach only it)."""
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log_offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        self._terminated = False
        self.popen = subprocess.Popen(
            self.spec.argv,
            env={**os.environ, **self.spec.env},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        self._reader = threading.Thread(target=self._copy_output, daemon=True, name=f"log {self.spec.name}")
        self._reader.start()
        return self

    def _copy_output(self) -> None:
        assert self.popen is not None and self.popen.stdout is not None
        with self.log_path.open("ab") as log:
            for line in self.popen.stdout:
                log.write(line)
                log.flush()
                if self.echo:
                    sys.stdout.write(f"{self.spec.name:<18} | {line.decode(errors='replace')}")
                    sys.stdout.flush()

    def log_text(self) -> str:
        """Everything this run of the process printed so far."""
        if not self.log_path.exists():
            return ""
        with self.log_path.open("rb") as log:
            log.seek(self._log_offset)
            return log.read().decode(errors="replace")

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def stopped_on_purpose(self) -> bool:
        """Whether it was asked to stop (terminate, stop, kill): a supervisor leaves it down."""
        return self._terminated

    def wait_ready(self, timeout: float = 30.0) -> None:
        """Block until the ready URL answers 200 or the ready log line appears."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.alive():
                raise RuntimeError(f"{self.spec.name} exited early:\n{self.log_text()[-3000:]}")
            if self._is_ready():
                return
            time.sleep(0.1)
        raise TimeoutError(f"{self.spec.name} not ready after {timeout}s:\n{self.log_text()[-3000:]}")

    def _is_ready(self) -> bool:
        if self.spec.ready_log is not None:
            return self.spec.ready_log in self.log_text()
        if self.spec.ready_url is not None:
            try:
                with urllib.request.urlopen(self.spec.ready_url, timeout=1) as response:
                    return response.status == 200
            except OSError:
                return False
        return True

    def signal(self, signum: int) -> None:
        if self.alive():
            os.killpg(self.pid, signum)

    def terminate(self) -> None:
        """SIGTERM once: a second one would cut a graceful drain short."""
        if not self._terminated:
            self._terminated = True
            self.signal(signal.SIGTERM)

    def stop(self, timeout: float = 20.0) -> int | None:
        """SIGTERM, wait up to ``timeout``, then SIGKILL; returns the exit code."""
        if self.popen is None:
            return None
        self.terminate()
        try:
            code = self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            self.signal(signal.SIGKILL)
            code = self.popen.wait(5)
        if self._reader is not None:
            self._reader.join(5)
        return code

    def kill(self) -> None:
        """SIGKILL, as a crash would (a supervisor leaves it down: the caller meant it)."""
        self._terminated = True
        self.signal(signal.SIGKILL)
        if self.popen is not None:
            self.popen.wait(5)


class ProcGroup:
    """Processes started together and stopped together, last started first."""

    def __init__(self, log_dir: Path, *, echo: bool = False) -> None:
        self.log_dir = log_dir
        self.echo = echo
        self.procs: list[Proc] = []

    def start(self, spec: Spec) -> Proc:
        proc = Proc(spec, log_dir=self.log_dir, echo=self.echo).start()
        self.procs.append(proc)
        return proc

    def stop_all(self, timeout: float = 20.0) -> dict[str, int | None]:
        """Stop everything (SIGTERM all at once, then wait); returns exit codes by name."""
        for proc in reversed(self.procs):
            proc.terminate()
        return {proc.spec.name: proc.stop(timeout) for proc in reversed(self.procs)}
