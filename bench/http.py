"""Figures 1 and 2: HTTP create and read on the buildings API, driven by Debian's ``wrk``.

wrk is C and event-driven, so at 32 connections it needs a fraction of a core, where a
Python client would compete with the system for the machine's two cores.
"""

from __future__ import annotations

import json
import shutil
import urllib.request
from pathlib import Path

from bench import children, cpu
from bench.harness import WORK_DIR, Context
from bench.results import Figure, skipped, summarize
from stack.accounts import TEST_LOGIN

LUA_DIR = Path(__file__).resolve().parent / "lua"
CONNECTIONS = 32
THREADS = 2
WARMUP_SECONDS = 2
READ_IDS = 1000
# (requests/s at least, p99 ms at most): the NestJS reference on the same kind of machine.
CREATE_TARGET = (960, 68)
READ_TARGET = (3920, 17)
CREATE_LABEL = f"HTTP create (POST /api/buildings/), {CONNECTIONS} clients"
READ_LABEL = f"HTTP read (GET /api/buildings/{{id}}/), {CONNECTIONS} clients"


def target_text(target: tuple[int, int]) -> str:
    return f"≥ {target[0]:,} req/s, p99 ≤ {target[1]} ms, 0 errors"


def met(target: tuple[int, int], median: dict[str, float], runs: list[dict]) -> bool:
    """Median rate and p99 within the target, and not one error in any run."""
    rate, p99 = target
    return median["requests_per_s"] >= rate and median["p99_ms"] <= p99 and not any(r["errors"] for r in runs)


def wrk_script(name: str, *parts: str) -> str:
    """The wrk script for one figure: the given parts plus the JSON reporter, in var/bench."""
    path = WORK_DIR / f"wrk-{name}.lua"
    path.write_text("\n".join((LUA_DIR / f"{part}.lua").read_text() for part in [*parts, "report"]))
    return str(path)


def wrk_argv(url: str, script: str, seconds: float, script_args: list[str]) -> list[str]:
    """wrk with the test account's token on every request (the scripts' ``wrk.format`` keeps it)."""
    authorization = ["-H", f"Authorization: Token {TEST_LOGIN.token}"]
    argv = ["wrk", f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{round(seconds)}s", "--latency", *authorization]
    argv += ["-s", script, url]
    return argv + (["--", *script_args] if script_args else [])


def run_wrk(argv: list[str], seconds: float) -> dict:
    """One wrk run: its JSON report, the rates derived from it and the CPU wrk used."""
    finished = children.run(argv, timeout=seconds + 30)
    line = next((line for line in finished.output.splitlines() if line.startswith("BENCH ")), None)
    if finished.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed (exit {finished.returncode}):\n{finished.output[-3000:]}")
    report = json.loads(line.removeprefix("BENCH "))
    seconds_run = report["duration_us"] / 1e6
    socket_errors = sum(report[k] for k in ("connect_errors", "read_errors", "write_errors", "timeouts"))
    return {
        "requests_per_s": report["requests"] / seconds_run,
        "p50_ms": report["p50_us"] / 1000,
        "p99_ms": report["p99_us"] / 1000,
        "max_ms": report["max_us"] / 1000,
        "errors": report["non_2xx"] + socket_errors,
        "non_2xx": report["non_2xx"],
        "socket_errors": socket_errors,
        "requests": report["requests"],
        "wrk_cpu_s": finished.cpu_seconds,
        "wrk_cpu_share": finished.cpu_share,
    }


def measure(
    context: Context, *, name: str, label: str, target: tuple[int, int], url: str, script: str, args: list[str]
) -> Figure:
    """Warm up once, then ``repeat`` measured runs; returns the judged figure."""
    seconds = context.duration
    run_wrk(wrk_argv(url, script, WARMUP_SECONDS, args), WARMUP_SECONDS)
    argv = wrk_argv(url, script, seconds, args)
    before = cpu.snapshot(context.stack)
    runs = [run_wrk(argv, seconds) for _ in range(context.repeat)]
    cores = cpu.cores_used(before, cpu.snapshot(context.stack))
    keys = ["requests_per_s", "p50_ms", "p99_ms", "max_ms", "errors", "wrk_cpu_share"]
    summary = summarize(runs, keys)
    median = {key: value["median"] for key, value in summary.items()}
    rate = summary["requests_per_s"]
    value = (
        f"{median['requests_per_s']:,.0f} req/s (min {rate['min']:,.0f}, max {rate['max']:,.0f}), "
        f"p50 {median['p50_ms']:.1f} ms, p99 {median['p99_ms']:.1f} ms, {sum(r['errors'] for r in runs)} errors"
    )
    return Figure(
        name=name,
        label=label,
        value=value,
        target=target_text(target),
        ok=met(target, median, runs),
        command=" ".join(argv),
        params={"connections": CONNECTIONS, "threads": THREADS, "seconds": seconds, "warmup_seconds": WARMUP_SECONDS},
        summary={**summary, "cores_used": cores},
        runs=runs,
        notes=f"wrk used {median['wrk_cpu_share']:.0%} of one core (median run). CPU during the runs: "
        f"{cpu.describe(cores)}.",
    )


def http_create(context: Context) -> Figure:
    """POST /api/buildings/ at 32 connections: includes the NATS round trip and two writes."""
    if shutil.which("wrk") is None:
        return skipped("http-create", CREATE_LABEL, target_text(CREATE_TARGET), "wrk is not installed")
    figure = measure(
        context,
        name="http-create",
        label=CREATE_LABEL,
        target=CREATE_TARGET,
        url=context.stack.url("buildings_site", "/api/buildings/"),
        script=wrk_script("create", "create"),
        args=[],
    )
    pending = context.stack.query(
        "buildings_site", "SELECT count(*) FROM buildings_building WHERE workflow_status <> 'created'"
    )[0][0]
    figure.notes += f" Buildings left without a created workflow right after the runs: {pending}."
    return figure


def http_read(context: Context) -> Figure:
    """GET /api/buildings/{id}/ at 32 connections, rotating over existing buildings."""
    if shutil.which("wrk") is None:
        return skipped("http-read", READ_LABEL, target_text(READ_TARGET), "wrk is not installed")
    ids_file = WORK_DIR / "building-ids.txt"
    ids_file.write_text("\n".join(str(i) for i in building_ids(context)) + "\n")
    figure = measure(
        context,
        name="http-read",
        label=READ_LABEL,
        target=READ_TARGET,
        url=context.stack.url("buildings_site", "/"),
        script=wrk_script("read", "read"),
        args=[str(ids_file)],
    )
    figure.params["buildings"] = READ_IDS
    return figure


def building_ids(context: Context) -> list[int]:
    """Ids of existing buildings, creating some through the API first when there are too few."""
    stack = context.stack
    have = stack.query("buildings_site", "SELECT count(*) FROM buildings_building")[0][0]
    url = stack.url("buildings_site", "/api/buildings/")
    for number in range(max(0, READ_IDS - have)):
        body = json.dumps({"name": f"Read bench building {number}"}).encode()
        headers = {"Content-Type": "application/json", **TEST_LOGIN.headers}
        request = urllib.request.Request(url, data=body, headers=headers)
        with urllib.request.urlopen(request, timeout=10) as response:
            response.read()
    rows = stack.query("buildings_site", "SELECT id FROM buildings_building ORDER BY id DESC LIMIT %s", (READ_IDS,))
    return [row[0] for row in rows]
