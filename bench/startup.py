"""Figure 7: seconds from starting the processes to every one of them being ready.

Measured once per benchmark run, when ``BenchStack.start`` brings the system up the way
the run command does (migrations first, not counted: the run command does them first too).
"""

from __future__ import annotations

from bench import cpu
from bench.harness import Context
from bench.results import Figure

TARGET_SECONDS = 5.0


def startup_figure(context: Context) -> Figure:
    startup = context.stack.startup
    assert startup is not None, "the stack is started before any figure"
    ready = startup.ready_seconds
    # Taken when every process is ready, before any load: the CPU each spent starting.
    started_cpu = {name: seconds for name, seconds in cpu.snapshot(context.stack).items() if name in ready}
    webs = {name: seconds for name, seconds in ready.items() if name.endswith("-web")}
    slowest = max(ready.values())
    value = (
        f"all {len(ready)} processes ready in {slowest:.1f} s; "
        + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in webs.items())
        + f" (migrations before: {startup.migrate_seconds:.1f} s)"
    )
    return Figure(
        name="startup",
        label="Start-up, processes started to all ready",
        value=value,
        target=f"every site ready within {TARGET_SECONDS:g} s",
        ok=slowest <= TARGET_SECONDS,
        command="stack.system.System.start_web/start_bridge for every site, then poll each web's /health/ready "
        "(200) and each bridge's ' serving ' log line every 20 ms",
        params={"processes": list(ready)},
        summary={"slowest_s": {"min": slowest, "median": slowest, "max": slowest, "runs": 1}},
        runs=[{"ready_seconds": ready, "migrate_seconds": startup.migrate_seconds, "cpu_seconds": started_cpu}],
        notes="One start per benchmark run; all processes start at once and share the two cores. "
        + ", ".join(f"{name} {seconds:.2f} s" for name, seconds in ready.items())
        + f". CPU each spent starting (its whole process tree), {sum(started_cpu.values()):.1f} s in all: "
        + ", ".join(f"{name} {seconds:.2f} s" for name, seconds in started_cpu.items())
        + ".",
    )
