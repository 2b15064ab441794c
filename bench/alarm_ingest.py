"""Figure 4: ``alarm.created`` events published to JetStream, until all are committed in the database.

The publisher (a child process) uses JetStream's async publish with a bounded number of
unacknowledged messages, so it runs as fast as the server stores them. The clock runs from
its first publish to the moment ``count(*)`` in ``alarms_alarm`` reaches the total; then
distinct event ids are counted, so a lost or doubled alarm cannot hide.
"""

from __future__ import annotations

import asyncio
import datetime
import time
import uuid
from typing import Any

import orjson

from bench import children, cpu
from bench.harness import Context, alarms_missing
from bench.results import Figure, skipped, spread

SUBJECT = "alarm.created"
ALARMS = "alarms_site"
EVENTS = 50_000
QUICK_EVENTS = 2_000
REPLICAS = (1, 2)
MAX_PENDING_ACKS = 2_000
STALL_SECONDS = 30.0  # no new row for this long ends a run (counted as lost)
MIN_POLL_SECONDS, MAX_POLL_SECONDS = 0.02, 0.5  # pauses between counts of the committed rows
TARGET_RATE = 10_000
TARGET = f"≥ {TARGET_RATE:,} alarms/s committed, 0 lost"
RESTART_EVENTS, RESTART_RATE, RESTART_DOWN_SECONDS = 15_000, 1_500, 5.0
RESTART_TARGET = "0 lost across a 5 s restart of every alarms bridge"


def alarm_event(prefix: str, number: int, *, stamp: bool = False) -> tuple[bytes, dict[str, str]]:
    """Payload and headers of one event (the contract of ``alarm.created``).

    With ``stamp`` the name ends with the publish time in ns, for latency measured at the far end.
    """
    event_id = str(uuid.uuid4())
    name = f"{prefix}{number} {time.time_ns()}" if stamp else f"{prefix}{number}"
    body = {
        "id": event_id,
        "name": name,
        "buildingId": number % 1000 + 1,
        "severity": "minor",
        "occurredAt": datetime.datetime.now(datetime.UTC).isoformat(),
    }
    return orjson.dumps(body), {"Nats-Msg-Id": event_id}


async def publish_alarms(params: dict[str, Any]) -> dict[str, Any]:
    """Client side: publish ``count`` events, paced at ``rate``/s when given, and wait for every ack.

    Unstamped events are built before the clock starts, so building them costs no throughput.
    """
    import nats  # only the child process needs it

    prefix, count, rate, stamp = params["prefix"], params["count"], params.get("rate"), params.get("stamp", False)
    prepared = [] if stamp else [alarm_event(prefix, number) for number in range(count)]
    nc = await nats.connect(params["url"], name="bench alarm publisher")
    js = nc.jetstream(publish_async_max_pending=MAX_PENDING_ACKS)
    futures = []
    first_publish_at = time.time()
    began = time.perf_counter()
    for number in range(count):
        if rate and number % max(1, rate // 100) == 0:  # paced: a slice every 10 ms
            await asyncio.sleep(max(0.0, began + number / rate - time.perf_counter()))
        body, headers = alarm_event(prefix, number, stamp=True) if stamp else prepared[number]
        futures.append(await js.publish_async(SUBJECT, body, headers=headers))
    results = await asyncio.gather(*futures, return_exceptions=True)
    seconds = time.perf_counter() - began
    await nc.drain()
    errors = [r for r in results if isinstance(r, Exception)]
    return {
        "published": len(results) - len(errors),
        "publish_errors": len(errors),
        "first_publish_at": first_publish_at,
        "publish_seconds": seconds,
        "publish_per_s": len(results) / seconds,
    }


def stored(context: Context, prefix: str) -> tuple[int, int]:
    """(rows, distinct event ids) stored for one run."""
    rows = context.stack.query(
        ALARMS, "SELECT count(*), count(DISTINCT event_id) FROM alarms_alarm WHERE name LIKE %s", (prefix + "%",)
    )
    return rows[0]


def wait_committed(context: Context, *, prefix: str, after_id: int, count: int, timeout: float) -> float:
    """Poll until ``count`` rows of this run are stored; returns time.time() then (or at giving up).

    Only rows above ``after_id`` (ids follow commit order) with this run's name prefix count,
    so a late batch of an earlier run cannot end this one early.
    """
    started = time.monotonic()
    deadline = started + timeout
    last_seen, last_change = -1, started
    statement = "SELECT count(*) FROM alarms_alarm WHERE id > %s AND name LIKE %s"
    while True:
        seen = context.stack.query(ALARMS, statement, (after_id, prefix + "%"))[0][0]
        now = time.monotonic()
        if seen >= count:
            return time.time()
        if seen != last_seen:
            last_seen, last_change = seen, now
        if now > deadline or now - last_change > STALL_SECONDS:
            return time.time()
        time.sleep(poll_pause(seen, count, elapsed=now - started))


def poll_pause(seen: int, count: int, *, elapsed: float) -> float:
    """Seconds until the next count: half the time the rest should take at the rate so far, 0.02 to 0.5 s.

    Counting tens of thousands of rows every 50 ms was a third of PostgreSQL's work during a run,
    taken from what it measures; polled this way the count is as fine near the end (the clock's
    resolution) and costs a few queries in between.
    """
    if seen <= 0 or elapsed <= 0:
        return MIN_POLL_SECONDS
    rest = (count - seen) / (seen / elapsed)
    return min(MAX_POLL_SECONDS, max(MIN_POLL_SECONDS, rest / 2))


def ingest_run(context: Context, replicas: int, count: int, **during: Any) -> dict[str, Any]:
    """One run: publish ``count`` events and time them into the database; ``during`` may restart bridges."""
    prefix = f"bench-ingest-{uuid.uuid4().hex[:8]}-"
    after_id = context.stack.query(ALARMS, "SELECT coalesce(max(id), 0) FROM alarms_alarm")[0][0]
    params = {"url": context.stack.nats_url, "count": count, "prefix": prefix, "rate": during.get("rate")}
    child = children.Child(children.python_client("alarm-publish", params))
    stop_seconds = 0.0
    if during.get("restart"):
        time.sleep(2.0)
        stop_seconds = context.stack.set_bridges(ALARMS, 0)
        time.sleep(RESTART_DOWN_SECONDS)
        context.stack.set_bridges(ALARMS, replicas)
    committed_at = wait_committed(context, prefix=prefix, after_id=after_id, count=count, timeout=120 + count / 1000)
    finished = child.finish(timeout=60)
    published = finished.result()
    rows, distinct = stored(context, prefix)
    seconds = committed_at - published["first_publish_at"]
    return {
        **published,
        "replicas": replicas,
        "events": count,
        "rows": rows,
        "distinct": distinct,
        "lost": count - distinct,
        "seconds": seconds,
        "committed_per_s": distinct / seconds,
        "client_cpu_share": finished.cpu_share,
        "bridges_stop_seconds": stop_seconds,
        "bridges_alive": sum(proc.alive() for proc in context.stack.bridges[ALARMS]),
        "command": " ".join(children.python_client("alarm-publish", params)),
    }


def alarm_ingest(context: Context) -> Figure:
    """Alarms/s committed with 1 and with 2 alarms bridge replicas; nothing lost."""
    reason = alarms_missing()
    if reason:
        return skipped("alarm-ingest", "Alarm ingestion", TARGET, reason)
    count = QUICK_EVENTS if context.quick else EVENTS
    runs: list[dict[str, Any]] = []
    cores: dict[int, dict[str, float]] = {}
    try:
        for replicas in REPLICAS:
            context.stack.set_bridges(ALARMS, replicas)
            before = cpu.snapshot(context.stack)
            runs += [ingest_run(context, replicas, count) for _ in range(context.repeat)]
            cores[replicas] = cpu.cores_used(before, cpu.snapshot(context.stack))
    finally:
        context.stack.restore_bridges(ALARMS)
    rates = {r: spread([x["committed_per_s"] for x in runs if x["replicas"] == r]) for r in REPLICAS}
    lost = sum(run["lost"] for run in runs)
    best = max(rates[r]["median"] for r in REPLICAS)
    value = ", ".join(f"{r} replica{'s' * (r > 1)}: {rates[r]['median']:,.0f} alarms/s" for r in REPLICAS)
    value += f"; {lost} lost of {count * len(runs):,}"
    publish = max(run["publish_per_s"] for run in runs)
    return Figure(
        name="alarm-ingest",
        label=f"Alarm ingestion, {count:,} events",
        value=value,
        target=TARGET,
        ok=best >= TARGET_RATE and lost == 0,
        command=runs[0]["command"],
        params={"events": count, "replicas": list(REPLICAS), "max_pending_acks": MAX_PENDING_ACKS},
        summary={
            **{f"committed_per_s@{r}": rates[r] for r in REPLICAS},
            **{f"cores_used@{r}": cores[r] for r in REPLICAS},
        },
        runs=runs,
        notes=f"Clock: first publish to count(*) reaching the total. The publisher alone reached {publish:,.0f} "
        f"acked events/s and used {runs[-1]['client_cpu_share']:.0%} of one core. "
        + " ".join(f"CPU with {r} replica(s): {cpu.describe(cores[r])}." for r in REPLICAS),
    )


def alarm_restart(context: Context) -> Figure:
    """Events published at a steady rate while every alarms bridge is stopped for 5 s and restarted."""
    reason = alarms_missing()
    if reason:
        return skipped("alarm-restart", "Alarms across a bridge restart", RESTART_TARGET, reason)
    count, rate = (3_000, 1_000) if context.quick else (RESTART_EVENTS, RESTART_RATE)
    try:
        run = ingest_run(context, context.stack.site(ALARMS).bridges, count, rate=rate, restart=True)
    finally:
        context.stack.restore_bridges(ALARMS)
    return Figure(
        name="alarm-restart",
        label=f"Alarms across a {RESTART_DOWN_SECONDS:g} s restart of the alarms bridges, {count:,} events",
        value=f"{run['lost']} lost of {count:,} ({run['rows']:,} rows, {run['distinct']:,} distinct); "
        f"all committed {run['seconds']:.1f} s after the first publish",
        target=RESTART_TARGET,
        ok=run["lost"] == 0 and run["rows"] == run["distinct"],
        command=run["command"],
        params={"events": count, "rate": rate, "down_seconds": RESTART_DOWN_SECONDS, "stop_after_seconds": 2.0},
        runs=[run],
        notes=f"Every alarms bridge got SIGTERM 2 s into publishing; they took {run['bridges_stop_seconds']:.1f} s "
        f"to exit (SIGKILL after 20 s), and were started again {RESTART_DOWN_SECONDS:g} s after that.",
    )
