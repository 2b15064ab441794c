"""Figure 5: alarm to browser, from publish to arrival on 50 open live sockets, at 500 alarms/s.

Each published alarm carries its publish time (ns) at the end of its name; every socket
that receives it in a ``created`` frame records the difference. Watchers run in child
processes of their own, apart from the publisher, all on this machine's one clock.
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
from bench.results import Figure, percentile, skipped
from stack.accounts import TEST_LOGIN, session_cookie

ALARMS = "alarms_site"
SOCKETS = 50
WATCHER_PROCESSES = 2
RATE = 500
SECONDS, QUICK_SECONDS = 10, 3
GRACE_SECONDS = 20.0  # after the last publish, how long watchers wait for stragglers
# A resume past every id: the consumer answers with an empty catch-up, which tells us the
# socket has joined the live group (it joins before it reads messages).
RESUME = orjson.dumps({"type": "resume", "since": 2**31 - 1, "unacknowledged": []}).decode()
TARGET_P99_MS = 50
TARGET = f"p99 < {TARGET_P99_MS} ms, none missing"


async def watch_alarms(params: dict[str, Any]) -> dict[str, Any]:
    """Client side: open ``sockets`` live sockets, print ``ready``, collect latencies of this run's alarms."""
    from websockets.asyncio.client import connect  # only the child process needs it

    prefix, expected = params["prefix"], params["expected"]
    latencies: list[float] = []
    counts: list[int] = []
    # Publish to commit, once per alarm: ``received_at`` is when the bridge stored it, so the
    # total splits into the way into the database and the way out to the sockets.
    stored_ms: dict[str, float] = {}

    async def open_socket():
        socket = await connect(
            params["url"], origin=params["origin"], additional_headers={"Cookie": params["cookie"]}, max_size=2**24
        )
        await socket.send(RESUME)
        while orjson.loads(await socket.recv()).get("type") != "catchup":
            pass
        return socket

    async def receive(socket) -> None:
        seen = 0
        counts.append(0)
        slot = len(counts) - 1
        async for frame in socket:
            arrived = time.time_ns()
            message = orjson.loads(frame)
            if message.get("type") != "created":
                continue
            for alarm in message.get("alarms", []):
                name = alarm.get("name", "")
                if name.startswith(prefix):
                    published = int(name.rsplit(" ", 1)[1])
                    latencies.append((arrived - published) / 1e6)
                    seen += 1
                    if name not in stored_ms:
                        stored = datetime.datetime.fromisoformat(alarm["received_at"].replace("Z", "+00:00"))
                        stored_ms[name] = (stored.timestamp() * 1e9 - published) / 1e6
            counts[slot] = seen
            if seen >= expected:
                break
        await socket.close()

    sockets = await asyncio.gather(*(open_socket() for _ in range(params["sockets"])))
    print("ready", flush=True)
    tasks = [asyncio.create_task(receive(socket)) for socket in sockets]
    _, late = await asyncio.wait(tasks, timeout=params["seconds"])
    for task in late:
        task.cancel()
    latencies.sort()
    return {
        "latencies_ms": [round(value, 3) for value in latencies],
        "stored_ms": sorted(round(value, 3) for value in stored_ms.values()),
        "received": counts,
    }


def wait_printed(child: children.Child, text: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while text not in child.output_so_far():
        if child.popen.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"watcher not {text} in {timeout}s:\n{child.output_so_far()[-3000:]}")
        time.sleep(0.05)


def alarm_live(context: Context) -> Figure:
    """Latency from publish to arrival with 50 sockets open, at 500 alarms/s."""
    reason = alarms_missing()
    if reason:
        return skipped("alarm-live", "Alarm to browser", TARGET, reason)
    stack = context.stack
    seconds = QUICK_SECONDS if context.quick else SECONDS
    count = RATE * seconds
    prefix = f"bench-live-{uuid.uuid4().hex[:8]}-"
    web = stack.url(ALARMS, "/")
    watch = {
        "url": web.replace("http://", "ws://") + "ws/alarms/",
        "origin": web.rstrip("/"),
        "cookie": session_cookie(web.rstrip("/"), TEST_LOGIN),  # the feed is for signed-in users
        "prefix": prefix,
        "expected": count,
        "sockets": SOCKETS // WATCHER_PROCESSES,
        "seconds": 30 + seconds + GRACE_SECONDS,
    }
    watchers = [children.Child(children.python_client("alarm-watch", watch)) for _ in range(WATCHER_PROCESSES)]
    for watcher in watchers:
        wait_printed(watcher, "ready", 30)
    publish = {"url": stack.nats_url, "count": count, "prefix": prefix, "rate": RATE, "stamp": True}
    before = cpu.snapshot(stack)
    published = children.run(children.python_client("alarm-publish", publish), timeout=seconds + 60).result()
    cores = cpu.cores_used(before, cpu.snapshot(stack))
    finished = [watcher.finish(timeout=watch["seconds"] + 10) for watcher in watchers]
    results = [f.result() for f in finished]
    latencies = sorted(value for result in results for value in result["latencies_ms"])
    received = [n for result in results for n in result["received"]]
    missing = published["published"] * SOCKETS - sum(received)
    p50, p99 = percentile(latencies, 0.50), percentile(latencies, 0.99)
    stored = results[0]["stored_ms"]
    stored_p50, stored_p99 = percentile(stored, 0.50), percentile(stored, 0.99)
    max_ms = latencies[-1] if latencies else 0.0
    return Figure(
        name="alarm-live",
        label=f"Alarm to browser, {SOCKETS} sockets, {RATE} alarms/s for {seconds} s",
        value=f"p50 {p50:.1f} ms, p99 {p99:.1f} ms, max {max_ms:.0f} ms (publish to stored: p50 {stored_p50:.0f} ms, "
        f"p99 {stored_p99:.0f} ms); {missing} deliveries missing",
        target=TARGET,
        ok=p99 < TARGET_P99_MS and missing == 0,
        command=" ".join(children.python_client("alarm-publish", publish))
        + f"  with {WATCHER_PROCESSES}x "
        + " ".join(children.python_client("alarm-watch", watch)),
        params={"sockets": SOCKETS, "rate": RATE, "seconds": seconds, "watcher_processes": WATCHER_PROCESSES},
        summary={
            "latency_ms": {"p50": p50, "p99": p99, "max": max_ms, "samples": len(latencies)},
            "publish_to_stored_ms": {"p50": stored_p50, "p99": stored_p99, "samples": len(stored)},
            "cores_used": cores,
        },
        runs=[{"published": published, "received_per_socket": received}],
        notes=children.cpu_note(finished, f"The {WATCHER_PROCESSES} watcher processes")
        + "; the clock runs from the publisher's time stamp to the frame's arrival, across processes. "
        + f"CPU while publishing: {cpu.describe(cores)}.",
    )
