"""Figure 3: ``workflows.create`` straight over NATS, 64 requests in flight, 1 and 3 replicas.

The client is one asyncio nats-py connection in a child process. Each request carries a
unique Idempotency-Key, so every one of them is a real insert, not a cached answer.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

from bench import children, cpu
from bench.harness import Context
from bench.results import Figure, percentile, summarize

SUBJECT = "workflows.create"
IN_FLIGHT = 64
REQUESTS = 20_000
QUICK_REQUESTS = 2_000
REPLICAS = (1, 3)
REQUEST_TIMEOUT = 5.0
WARMUP_REQUESTS = 300
TARGET_RATE = 4_300  # 2x the NestJS reference's 2,150 replies/s
TARGET_P99_MS = 77
TARGET = f"≥ {TARGET_RATE:,} replies/s (2x 2,150) with 3 replicas, p99 ≤ {TARGET_P99_MS} ms"


async def send_requests(params: dict[str, Any]) -> dict[str, Any]:
    """Client side: keep ``in_flight`` requests outstanding until ``count`` or ``seconds`` is reached."""
    import nats  # only the child process needs it

    nc = await nats.connect(params["url"], name="bench request-reply")
    run = uuid.uuid4().hex[:8]
    latencies: list[float] = []
    errors: dict[str, int] = {}
    issued = 0
    deadline = time.monotonic() + params["seconds"]

    async def worker() -> None:
        nonlocal issued
        while issued < params["count"] and time.monotonic() < deadline:
            number = issued = issued + 1
            body = b'{"name": "Bench workflow", "buildingId": %d}' % number
            headers = {"Idempotency-Key": f"bench-{run}-{number}", "Trace-Id": f"bench-{run}-{number}"}
            sent = time.perf_counter()
            try:
                reply = await nc.request(SUBJECT, body, timeout=REQUEST_TIMEOUT, headers=headers)
            except Exception as error:  # timeouts, no responders: counted, never fatal
                errors[type(error).__name__] = errors.get(type(error).__name__, 0) + 1
                continue
            if reply.headers and "Nats-Service-Error" in reply.headers:
                errors["error reply"] = errors.get("error reply", 0) + 1
                continue
            latencies.append(time.perf_counter() - sent)

    began = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(params["in_flight"])))
    elapsed = time.perf_counter() - began
    await nc.drain()
    latencies.sort()
    return {
        "replies": len(latencies),
        "seconds": elapsed,
        "replies_per_s": len(latencies) / elapsed,
        "p50_ms": percentile(latencies, 0.50) * 1000,
        "p99_ms": percentile(latencies, 0.99) * 1000,
        "max_ms": (latencies[-1] if latencies else 0) * 1000,
        "errors": sum(errors.values()),
        "error_kinds": errors,
    }


def one_run(context: Context, params: dict[str, Any]) -> dict[str, Any]:
    finished = children.run(children.python_client("request-reply", params), timeout=params["seconds"] + 60)
    return {**finished.result(), "client_cpu_s": finished.cpu_seconds, "client_cpu_share": finished.cpu_share}


def request_reply(context: Context) -> Figure:
    """Replies/s and latency with 1 and then 3 workflows replicas, and the scaling between them."""
    stack = context.stack
    count = QUICK_REQUESTS if context.quick else REQUESTS
    params = {"url": stack.nats_url, "count": count, "seconds": context.duration, "in_flight": IN_FLIGHT}
    runs: list[dict[str, Any]] = []
    medians: dict[int, dict[str, float]] = {}
    cores: dict[int, dict[str, float]] = {}
    try:
        for replicas in REPLICAS:
            stack.set_bridges("workflows_site", replicas)
            one_run(context, {**params, "count": WARMUP_REQUESTS})
            before = cpu.snapshot(stack)
            measured = [{**one_run(context, params), "replicas": replicas} for _ in range(context.repeat)]
            cores[replicas] = cpu.cores_used(before, cpu.snapshot(stack))
            runs += measured
            summary = summarize(measured, ["replies_per_s", "p50_ms", "p99_ms", "client_cpu_share"])
            medians[replicas] = {key: value["median"] for key, value in summary.items()}
    finally:
        stack.restore_bridges("workflows_site")
    one, three = medians[REPLICAS[0]], medians[REPLICAS[-1]]
    ratio = three["replies_per_s"] / one["replies_per_s"] if one["replies_per_s"] else 0.0
    errors = sum(run["errors"] for run in runs)
    value = (
        f"3 replicas: {three['replies_per_s']:,.0f} replies/s, p50 {three['p50_ms']:.1f} ms, "
        f"p99 {three['p99_ms']:.1f} ms; 1 replica: {one['replies_per_s']:,.0f}/s, p99 {one['p99_ms']:.1f} ms; "
        f"3-vs-1 {ratio:.2f}x; {errors} errors"
    )
    summary = {
        f"{key}@{replicas}": value
        for replicas in REPLICAS
        for key, value in summarize([r for r in runs if r["replicas"] == replicas], ["replies_per_s", "p99_ms"]).items()
    }
    return Figure(
        name="request-reply",
        label=f"`workflows.create` over NATS, {IN_FLIGHT} in flight",
        value=value,
        target=TARGET,
        ok=three["replies_per_s"] >= TARGET_RATE and three["p99_ms"] <= TARGET_P99_MS and errors == 0,
        command=" ".join(children.python_client("request-reply", params)),
        params={**params, "replicas": list(REPLICAS), "warmup_requests": WARMUP_REQUESTS},
        summary={**summary, "scaling_3_vs_1": {"median": ratio}, **{f"cores_used@{r}": cores[r] for r in REPLICAS}},
        runs=runs,
        notes=(
            f"3-vs-1 scaling {ratio:.2f}x. The nats-py client used {three['client_cpu_share']:.0%} of one core "
            f"(3-replica median run); runs stop at {count:,} requests or {context.duration:g} s. "
            + " ".join(f"CPU with {r} replica(s): {cpu.describe(cores[r])}." for r in REPLICAS)
        ),
    )
