"""What the processes of a test logged: tracebacks and records at ERROR or above.

A process logs JSON lines with ``LOG_FORMAT=json`` (as in production), our text format
otherwise, and gunicorn and daphne add lines of their own; each of the three shows its level
in its own place, and a traceback may be anywhere (inside a JSON record's ``exception``, or
printed as it is).
"""

from __future__ import annotations

import re

import orjson

from stack.procs import Proc
from stack.system import System

TRACEBACK = "Traceback (most recent call last)"
ERROR_LEVELS = {"ERROR", "CRITICAL"}
# "2026-01-01 10:00:00,123 ERROR logger [trace=...] message" (sitekit's text format) and
# "[2026-01-01 10:00:00 +0000] [123] [ERROR] message" (gunicorn's own lines).
_TEXT_LEVEL = re.compile(r"^\S+ \S+ (ERROR|CRITICAL) |^\[[^\]]*\] \[\d+\] \[(ERROR|CRITICAL)\]")


def error_lines(log: str) -> list[str]:
    """The lines of ``log`` that hold a traceback or a record at ERROR or above."""
    found = []
    for line in log.splitlines():
        if TRACEBACK in line:
            found.append(line)
        elif line.startswith("{"):
            try:
                record = orjson.loads(line)
            except orjson.JSONDecodeError:
                continue
            if isinstance(record, dict) and record.get("level") in ERROR_LEVELS:
                found.append(line)
        elif _TEXT_LEVEL.match(line):
            found.append(line)
    return found


def assert_no_crash(system: System, *, allowed: tuple[str, ...] = ()) -> None:
    """Every process of ``system`` still runs and logged no traceback and nothing at ERROR or above.

    ``allowed`` names error messages the test provokes on purpose (a line holding one passes).
    """
    for proc in system.group.procs:
        assert proc.alive(), f"{proc.spec.name} died:\n{proc.log_text()[-3000:]}"
        errors = unexpected_errors(proc, allowed=allowed)
        shown = "\n".join(line[:1000] for line in errors[:5])
        assert errors == [], f"{proc.spec.name} logged {len(errors)} tracebacks or errors, the first:\n{shown}"


def unexpected_errors(proc: Proc, *, allowed: tuple[str, ...] = ()) -> list[str]:
    """The traceback and error lines of ``proc``'s log that hold none of the ``allowed`` messages."""
    return [line for line in error_lines(proc.log_text()) if not any(text in line for text in allowed)]
