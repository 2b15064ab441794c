"""Where the CPU went during a measurement: per process of the stack, PostgreSQL, and the machine.

On two cores a figure is either CPU-bound (the machine is busy: find the process that eats
it) or waiting on something (the machine idles: look for round trips and locks). This
tells the two apart without a profiler.
"""

from __future__ import annotations

import json
import os
import resource
import time
from pathlib import Path

from bench.harness import BenchStack
from bench.memory import children_of, tree_pids

TICKS = os.sysconf("SC_CLK_TCK")


def process_seconds(pid: int, *, reaped: bool = True) -> float:
    """CPU seconds of one process plus its children that have exited (0 when it is gone).

    Counting reaped children keeps the totals honest when processes come and go during a
    window: PostgreSQL backends closed by ``CONN_MAX_AGE``, a gunicorn worker replaced.
    """
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    utime, stime, children_utime, children_stime = (int(value) for value in fields[11:15])
    return (utime + stime + (children_utime + children_stime if reaped else 0)) / TICKS


def machine_busy_seconds() -> float:
    """CPU seconds all cores spent not idle since boot."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return (sum(values[:8]) - idle) / TICKS


def postgres_pids() -> list[int]:
    """Every PostgreSQL server process (the server is shared; bench databases are on it)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == "postgres":
                    pids.append(int(entry.name))
            except OSError:
                continue
    return pids


def snapshot(stack: BenchStack) -> dict[str, float]:
    """CPU seconds so far of each process tree of the stack, PostgreSQL and the whole machine."""
    tree = children_of()
    seconds = {
        name: sum(process_seconds(pid) for pid in tree_pids(proc.pid, tree)) for name, proc in stack.processes().items()
    }
    seconds["postgres"] = sum(process_seconds(pid) for pid in postgres_pids())
    # This process copies every child's log lines to var/bench/logs (stack.procs does it in threads).
    seconds["bench (log copier)"] = process_seconds(os.getpid(), reaped=False)
    # Children this process waited for: the load generators (wrk, bench.client) of the window.
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    seconds["load generators"] = children.ru_utime + children.ru_stime
    seconds["machine"] = machine_busy_seconds()
    seconds["wall"] = time.monotonic()
    return seconds


def cores_used(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    """Average cores each process (and the machine) used between two snapshots.

    ``other`` is what the machine spent beyond the processes named: the kernel, and anything
    else running on the box (which makes the figure less trustworthy).
    """
    wall = after["wall"] - before["wall"]
    if wall <= 0:
        return {}
    cores = {name: (after[name] - before.get(name, 0.0)) / wall for name in after if name != "wall"}
    cores["other"] = cores["machine"] - sum(value for name, value in cores.items() if name != "machine")
    return {name: round(value, 2) for name, value in cores.items()}


def cores_over(windows: list[tuple[dict[str, float], dict[str, float]]]) -> dict[str, float]:
    """``cores_used`` over several (before, after) windows taken together, e.g. runs alternating with others."""
    total = {"wall": 0.0}
    for before, after in windows:
        for name, seconds in after.items():
            total[name] = total.get(name, 0.0) + seconds - before.get(name, 0.0)
    return cores_used({"wall": 0.0}, total)


def describe(cores: dict[str, float]) -> str:
    """``machine 1.9 of 2 cores: buildings-web 1.1, postgres 0.4, ...`` (busiest first)."""
    busiest = sorted(((v, k) for k, v in cores.items() if k != "machine" and v >= 0.01), reverse=True)
    parts = ", ".join(f"{name} {value:.2f}" for value, name in busiest)
    return f"machine {cores.get('machine', 0):.2f} of {os.cpu_count()} cores busy: {parts}"


def background_load(seconds: float = 3.0) -> float:
    """Cores busy on the machine before anything of ours runs: other work skews every figure."""
    before = machine_busy_seconds()
    time.sleep(seconds)
    return round((machine_busy_seconds() - before) / seconds, 2)


def python_speed_ms(rounds: int = 5) -> float:
    """Milliseconds one core takes for a fixed pure-Python workload, best of ``rounds``.

    Machines of one kind differ (host, neighbours, CPU generation), and a shared one drifts
    within the hour: unchanged code has measured a third apart. Printed with every run, this
    figure tells a slower machine from slower code. Lower is faster.
    """
    best = float("inf")
    for _ in range(rounds):
        started = time.perf_counter()
        rows = [{"id": n, "name": f"building {n}", "tags": [str(n % 7)] * 3} for n in range(20_000)]
        rows = json.loads(json.dumps(rows))
        rows.sort(key=lambda row: (row["tags"][0], -row["id"]))
        sum(len(row["name"]) for row in rows)
        best = min(best, time.perf_counter() - started)
    return round(best * 1000, 1)
