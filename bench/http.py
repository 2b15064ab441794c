"""Figures 1 and 2: HTTP create and read on the buildings API, driven by Debian's ``wrk``.

wrk is C and event-driven, so at 32 connections it needs a fraction of a core, where a
Python client would compete with the system for the machine's two cores.
"""

from __future__ import annotations

import json
import shutil
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from bench import children, cpu
from bench.harness import WORK_DIR, Context
from bench.results import Figure, skipped, spread, summarize
from stack.accounts import TEST_LOGIN

LUA_DIR = Path(__file__).resolve().parent / "lua"
CONNECTIONS = 32
THREADS = 2
WARMUP_SECONDS = 2
READ_IDS = 1000
# (requests/s at least, p99 ms at most): the NestJS reference on the same kind of machine.
CREATE_TARGET = (960, 68)
READ_TARGET = (3920, 17)
# Our read as a fraction of the ceiling app's, same run (issue 17): what holds on any machine.
CEILING_TARGET = 0.8
RUN_KEYS = ["requests_per_s", "p50_ms", "p99_ms", "max_ms", "errors", "wrk_cpu_share"]
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


@dataclass(frozen=True)
class Load:
    """One wrk load: where it goes, its script and the script's arguments."""

    url: str
    script: str
    args: tuple[str, ...] = ()

    def argv(self, seconds: float) -> list[str]:
        return wrk_argv(self.url, self.script, seconds, list(self.args))


@dataclass
class Measured:
    """The runs of one load and the cores each process used during them (and only them)."""

    load: Load
    runs: list[dict] = field(default_factory=list)
    windows: list[tuple[dict, dict]] = field(default_factory=list)

    @property
    def cores(self) -> dict[str, float]:
        return cpu.cores_over(self.windows)


def measure_alternating(context: Context, loads: list[Load]) -> list[Measured]:
    """Warm each load up once, then ``repeat`` rounds running each in turn.

    Alternating runs see the same machine: a ratio between two loads of one round holds
    even when the machine's speed drifts between rounds.
    """
    for load in loads:
        run_wrk(load.argv(WARMUP_SECONDS), WARMUP_SECONDS)
    measured = [Measured(load) for load in loads]
    for _ in range(context.repeat):
        for each in measured:
            before = cpu.snapshot(context.stack)
            each.runs.append(run_wrk(each.load.argv(context.duration), context.duration))
            each.windows.append((before, cpu.snapshot(context.stack)))
    return measured


def rate_text(summary: dict[str, dict[str, float]], errors: int) -> str:
    """``994 req/s (min 520, max 1,078), p50 ... ms, p99 ... ms, 0 errors``."""
    rate = summary["requests_per_s"]
    return (
        f"{rate['median']:,.0f} req/s (min {rate['min']:,.0f}, max {rate['max']:,.0f}), "
        f"p50 {summary['p50_ms']['median']:.1f} ms, p99 {summary['p99_ms']['median']:.1f} ms, {errors} errors"
    )


def figure_of(context: Context, measured: Measured, *, name: str, label: str, target: tuple[int, int]) -> Figure:
    """The judged figure of one load's runs."""
    runs = measured.runs
    summary = summarize(runs, RUN_KEYS)
    median = {key: value["median"] for key, value in summary.items()}
    cores = measured.cores
    return Figure(
        name=name,
        label=label,
        value=rate_text(summary, sum(r["errors"] for r in runs)),
        target=target_text(target),
        ok=met(target, median, runs),
        command=" ".join(measured.load.argv(context.duration)),
        params={
            "connections": CONNECTIONS,
            "threads": THREADS,
            "seconds": context.duration,
            "warmup_seconds": WARMUP_SECONDS,
        },
        summary={**summary, "cores_used": cores},
        runs=runs,
        notes=f"wrk used {median['wrk_cpu_share']:.0%} of one core (median run). CPU during the runs: "
        f"{cpu.describe(cores)}.",
    )


def http_create(context: Context) -> Figure:
    """POST /api/buildings/ at 32 connections: includes the NATS round trip and two writes."""
    if shutil.which("wrk") is None:
        return skipped("http-create", CREATE_LABEL, target_text(CREATE_TARGET), "wrk is not installed")
    load = Load(context.stack.url("buildings_site", "/api/buildings/"), wrk_script("create", "create"))
    [measured] = measure_alternating(context, [load])
    figure = figure_of(context, measured, name="http-create", label=CREATE_LABEL, target=CREATE_TARGET)
    pending = context.stack.query(
        "buildings_site", "SELECT count(*) FROM buildings_building WHERE workflow_status <> 'created'"
    )[0][0]
    figure.notes += f" Buildings left without a created workflow right after the runs: {pending}."
    return figure


def http_read(context: Context) -> Figure:
    """GET /api/buildings/{id}/ at 32 connections, rotating over existing buildings, beside the ceiling.

    The ceiling app (``bench.ceiling``) reads the same rows, on the same server with the same
    workers, with nothing of ours; its runs alternate with ours, and the figure says what
    fraction of it our read reaches.
    """
    if shutil.which("wrk") is None:
        return skipped("http-read", READ_LABEL, read_target_text(), "wrk is not installed")
    ids = building_ids(context)
    ids_file = WORK_DIR / "building-ids.txt"
    ids_file.write_text("\n".join(str(i) for i in ids) + "\n")
    script = wrk_script("read", "read")
    ceiling = context.stack.start_ceiling(f"/{ids[0]}/")
    try:
        ours, thinnest = measure_alternating(
            context,
            [
                Load(context.stack.url("buildings_site", "/"), script, (str(ids_file),)),
                Load(context.stack.ceiling_url + "/", script, (str(ids_file), "/")),
            ],
        )
    finally:
        ceiling.stop()
    figure = figure_of(context, ours, name="http-read", label=READ_LABEL, target=READ_TARGET)
    add_ceiling(figure, ours, thinnest)
    figure.params["buildings"] = READ_IDS
    return figure


def read_target_text() -> str:
    return f"{target_text(READ_TARGET)}; ≥ {CEILING_TARGET} of the ceiling"


def add_ceiling(figure: Figure, ours: Measured, thinnest: Measured) -> None:
    """Our read as a fraction of the ceiling's, round by round, into the figure's value, target and notes."""
    pairs = list(zip(ours.runs, thinnest.runs, strict=True))
    fractions = [mine["requests_per_s"] / theirs["requests_per_s"] for mine, theirs in pairs]
    fraction = spread(fractions)
    summary = summarize(thinnest.runs, RUN_KEYS)
    errors = sum(r["errors"] for r in thinnest.runs)
    figure.value += (
        f"; {fraction['median']:.2f} of the ceiling (min {fraction['min']:.2f}, max {fraction['max']:.2f}; "
        f"ceiling {summary['requests_per_s']['median']:,.0f} req/s)"
    )
    figure.target = read_target_text()
    figure.ok = bool(figure.ok) and fraction["median"] >= CEILING_TARGET and not errors
    figure.summary["ceiling_fraction"] = fraction
    figure.summary["ceiling"] = {**summary, "cores_used": thinnest.cores}
    figure.params["ceiling_command"] = " ".join(thinnest.load.argv(figure.params["seconds"]))
    figure.runs = [{**mine, "ceiling": theirs} for mine, theirs in pairs]
    figure.notes += (
        f" Ceiling (bench.ceiling: one cursor query and orjson, no middleware, no auth, same server and workers, "
        f"runs alternating with ours): {rate_text(summary, errors)}; CPU during its runs: "
        f"{cpu.describe(thinnest.cores)}."
    )


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
