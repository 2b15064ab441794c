"""Figures, their summaries and where they are written: the table, results.json, last_run.md."""

from __future__ import annotations

import datetime
import json
import os
import platform
import statistics
import subprocess
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from natswire.connection import redact_url
from stack.system import PYTHON

BENCH_DIR = Path(__file__).resolve().parent
RESULTS_JSON = BENCH_DIR / "results.json"
LAST_RUN_MD = BENCH_DIR / "last_run.md"


@dataclass
class Figure:
    """One line of the table, with everything needed to reproduce and judge it."""

    name: str
    label: str
    value: str
    target: str
    ok: bool | None  # None: not judged (skipped, or informative only)
    command: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    summary: dict[str, dict[str, float]] = field(default_factory=dict)
    runs: list[dict[str, Any]] = field(default_factory=list)
    notes: str = ""

    @property
    def verdict(self) -> str:
        return {True: "yes", False: "NO", None: "-"}[self.ok]


def skipped(name: str, label: str, target: str, reason: str) -> Figure:
    """A figure that could not be measured, with the reason printed in its place."""
    return Figure(name=name, label=label, value=f"skipped: {reason}", target=target, ok=None, notes=reason)


def spread(values: list[float]) -> dict[str, float]:
    """min/median/max of repeated runs (one run gives three equal numbers)."""
    return {"min": min(values), "median": statistics.median(values), "max": max(values), "runs": len(values)}


def summarize(runs: list[dict[str, Any]], keys: list[str]) -> dict[str, dict[str, float]]:
    """``spread`` of each numeric key over the runs that have it."""
    return {key: spread([run[key] for run in runs]) for key in keys if all(key in run for run in runs) and runs}


def percentile(sorted_values: list[float], fraction: float) -> float:
    """Nearest-rank percentile of an already sorted list (0 when it is empty)."""
    if not sorted_values:
        return 0.0
    index = min(len(sorted_values) - 1, max(0, round(fraction * len(sorted_values)) - 1))
    return sorted_values[index]


def machine() -> dict[str, Any]:
    """What the numbers were measured on: they mean little without it."""
    cpu_model = ""
    with open("/proc/cpuinfo") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    memory_kb = 0
    with open("/proc/meminfo") as meminfo:
        for line in meminfo:
            if line.startswith("MemTotal:"):
                memory_kb = int(line.split()[1])
    return {
        "nproc": int(_output(["nproc"]) or os.cpu_count() or 0),
        "cpu_model": cpu_model,
        "memory_gib": round(memory_kb / 1024 / 1024, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "git_commit": _output(["git", "rev-parse", "HEAD"], cwd=BENCH_DIR.parent),
        "git_dirty": bool(_output(["git", "status", "--porcelain"], cwd=BENCH_DIR.parent)),
        # The system's interpreter (``make bench``: the runtime requirements' virtualenv).
        "system_python": system_python(),
    }


def system_python() -> str:
    """The interpreter the system's processes run, relative to the checkout when inside it."""
    path = Path(PYTHON).absolute()
    root = BENCH_DIR.parent
    return str(path.relative_to(root)) if path.is_relative_to(root) else str(path)


def _output(argv: list[str], cwd: Path | None = None) -> str:
    try:
        return subprocess.run(argv, capture_output=True, text=True, cwd=cwd, timeout=10).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return ""


def table(figures: list[Figure]) -> str:
    """The markdown table printed at the end and kept in last_run.md."""
    lines = ["| figure | value | target | ok |", "|---|---|---|---|"]
    lines += [f"| {f.label} | {f.value} | {f.target} | {f.verdict} |" for f in figures]
    return "\n".join(lines)


def machine_line(info: dict[str, Any]) -> str:
    dirty = " (uncommitted changes)" if info["git_dirty"] else ""
    return (
        f"{info['nproc']} cores ({info['cpu_model']}), {info['memory_gib']} GiB, Python {info['python']}, "
        f"{info['date']}, commit {info['git_commit'][:10]}{dirty}"
        + (f", system run by {info['system_python']}" if "system_python" in info else "")
        + (f", background load {info['background_cores']} cores" if "background_cores" in info else "")
        + (f", Python speed {info['python_speed_ms']} ms" if "python_speed_ms" in info else "")
        + (f" before and {info['python_speed_ms_after']} ms after" if "python_speed_ms_after" in info else "")
    )


def write(figures: list[Figure], *, info: dict[str, Any], options: dict[str, Any]) -> None:
    """Write results.json (everything) and last_run.md (the table bench/HISTORY.md keeps)."""
    document = {"machine": info, "options": options, "figures": [asdict(f) for f in figures]}
    # The benchmarks' NATS URL logs in as admin; its (per-run) password stays out of the files.
    RESULTS_JSON.write_text(redact_url(json.dumps(document, indent=2, default=str)) + "\n")
    command = "python -m bench" + (f" {options['argv']}" if options.get("argv") else "")
    LAST_RUN_MD.write_text(
        f"Measured with `{command}` on {machine_line(info)}.\n\n{table(figures)}\n"
        + "".join(f"\n- **{f.label}**: {f.notes}" for f in figures if f.notes)
        + ("\n" if any(f.notes for f in figures) else "")
    )
