"""``python -m bench``: start the system, measure every figure, print the table, stop everything.

Results go to bench/results.json (every run, command and parameter) and bench/last_run.md
(the table, for bench/HISTORY.md). Missing a target is a result, not a failure: the exit code is
non-zero only when a benchmark itself broke.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
import traceback
from collections.abc import Callable

from bench import cpu, results
from bench.alarm_ingest import alarm_ingest, alarm_restart
from bench.alarm_live import alarm_live
from bench.harness import BenchStack, Context
from bench.http import http_create, http_read
from bench.memory import memory_figure, snapshot
from bench.request_reply import request_reply
from bench.results import Figure
from bench.startup import startup_figure

BUSY_MACHINE_CORES = 0.2  # background load above which the figures are noisy

# In the order they run; memory comes last so that it sees the stack after the load.
FIGURES: dict[str, Callable[[Context], Figure]] = {
    "startup": startup_figure,
    "http-create": http_create,
    "http-read": http_read,
    "request-reply": request_reply,
    "alarm-ingest": alarm_ingest,
    "alarm-restart": alarm_restart,
    "alarm-live": alarm_live,
    "memory": lambda context: memory_figure(context, context.idle_memory),
}


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--only", help=f"comma-separated figures among: {', '.join(FIGURES)}")
    parser.add_argument("--duration", type=float, help="seconds per HTTP run and cap of NATS runs (default 20)")
    parser.add_argument("--repeat", type=int, help="measured runs per figure (default 3; 1 with --quick)")
    parser.add_argument("--quick", action="store_true", help="short runs and small counts: a smoke check")
    parser.add_argument("--env", action="append", default=[], metavar="KEY=VALUE", help="extra environment")
    parser.add_argument("--keep-databases", action="store_true", help="leave the bench_* databases behind")
    args = parser.parse_args(argv)
    names = args.only.split(",") if args.only else list(FIGURES)
    unknown = [name for name in names if name not in FIGURES]
    if unknown:
        parser.error(f"unknown figure {', '.join(unknown)}; known: {', '.join(FIGURES)}")
    args.names = [name for name in FIGURES if name in names]
    args.duration = args.duration or (3.0 if args.quick else 20.0)
    args.repeat = args.repeat or (1 if args.quick else 3)
    if any("=" not in item for item in args.env):
        parser.error("--env takes KEY=VALUE")
    return args


def measure(name: str, context: Context) -> Figure:
    """One figure; a benchmark that breaks becomes a row saying so, and the others still run."""
    print(f"--- {name}", flush=True)
    began = time.monotonic()
    try:
        figure = FIGURES[name](context)
    except Exception as error:
        traceback.print_exc()
        figure = Figure(name=name, label=name, value=f"error: {error}"[:200], target="", ok=False, notes="broke")
        figure.params["broke"] = True
    print(f"    {figure.value}  [{time.monotonic() - began:.0f} s]", flush=True)
    return figure


def main(argv: list[str]) -> int:
    logging.basicConfig(level=logging.INFO, format="bench | %(message)s")
    args = parse(argv)
    info = results.machine()
    info["background_cores"] = cpu.background_load()
    info["python_speed_ms"] = cpu.python_speed_ms()
    print(f"bench on {results.machine_line(info)}", flush=True)
    if info["background_cores"] > BUSY_MACHINE_CORES:
        print(f"warning: the machine was already busy ({info['background_cores']} cores): expect noise", flush=True)
    stack = BenchStack(extra_env=dict(item.split("=", 1) for item in args.env))
    figures: list[Figure] = []
    try:
        print("starting the system (private NATS and bench_* databases)...", flush=True)
        stack.start()
        # Pids, so a profiler can be attached while the figures run (see bench/README.md).
        print("processes: " + ", ".join(f"{name} {proc.pid}" for name, proc in stack.processes().items()), flush=True)
        context = Context(stack=stack, duration=args.duration, repeat=args.repeat, quick=args.quick)
        context.idle_memory = snapshot(context)
        figures = [measure(name, context) for name in args.names]
    finally:
        codes = stack.stop(keep_databases=args.keep_databases)
        print("stopped: " + ", ".join(f"{name}={code}" for name, code in codes.items()), flush=True)
    # Shared machines change speed within minutes: measured again, the two bracket the run.
    info["python_speed_ms_after"] = cpu.python_speed_ms()
    options = {"argv": " ".join(argv), "duration": args.duration, "repeat": args.repeat, "quick": args.quick}
    results.write(figures, info=info, options=options)
    print(f"\n{results.table(figures)}\n", flush=True)
    print(f"written: {results.RESULTS_JSON} and {results.LAST_RUN_MD}; logs in {stack.log_dir}", flush=True)
    return 1 if any(figure.params.get("broke") for figure in figures) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
