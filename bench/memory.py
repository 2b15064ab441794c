"""Figure 6: resident memory of every process of the stack, at idle and after the load.

A WSGI server's main process starts its workers, so each process is measured as its whole tree. RSS
counts pages shared after the fork once per process (an upper bound, and what ``ps``
shows); PSS splits shared pages between their users, so the PSS sum is the real cost.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from bench.harness import Context
from bench.results import Figure

TARGET_MB = 720
NATS_NAME = "nats"


def children_of() -> dict[int, list[int]]:
    """Parent pid -> child pids, for every process we can see."""
    tree: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        tree.setdefault(parent, []).append(int(entry.name))
    return tree


def tree_pids(pid: int, tree: dict[int, list[int]]) -> list[int]:
    pids, stack = [], [pid]
    while stack:
        current = stack.pop()
        pids.append(current)
        stack.extend(tree.get(current, []))
    return pids


def memory_kb(pid: int) -> tuple[int, int]:
    """(RSS, PSS) of one process in kB; zeros when it is gone."""
    rss = pss = 0
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1])
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                pss = int(line.split()[1])
    except OSError:
        pass
    return rss, pss


def snapshot(context: Context) -> dict[str, dict[str, Any]]:
    """Per named process of the stack: RSS and PSS in MB of its tree, and how many processes."""
    tree = children_of()
    result = {}
    for name, proc in context.stack.processes().items():
        pids = tree_pids(proc.pid, tree)
        sizes = [memory_kb(pid) for pid in pids]
        result[name] = {
            "rss_mb": sum(rss for rss, _ in sizes) / 1024,
            "pss_mb": sum(pss for _, pss in sizes) / 1024,
            "processes": len(pids),
        }
    return result


def totals(snap: dict[str, dict[str, Any]]) -> dict[str, float]:
    own = [v for name, v in snap.items() if name != NATS_NAME]
    nats = snap.get(NATS_NAME, {"rss_mb": 0.0, "pss_mb": 0.0})
    return {
        "project_rss_mb": sum(v["rss_mb"] for v in own),
        "project_pss_mb": sum(v["pss_mb"] for v in own),
        "project_processes": sum(v["processes"] for v in own),
        "nats_rss_mb": nats["rss_mb"],
    }


def memory_figure(context: Context, idle: dict[str, dict[str, Any]] | None) -> Figure:
    """The figure from the idle snapshot (taken right after start-up) and one taken now."""
    after = snapshot(context)
    after_totals = totals(after)
    idle_totals = totals(idle) if idle else None
    value = f"after load {after_totals['project_rss_mb']:.0f} MB RSS ({after_totals['project_pss_mb']:.0f} MB PSS)"
    if idle_totals:
        value = (
            f"idle {idle_totals['project_rss_mb']:.0f} MB RSS ({idle_totals['project_pss_mb']:.0f} MB PSS), " + value
        )
    value += f", {after_totals['project_processes']} processes; nats-server {after_totals['nats_rss_mb']:.0f} MB"
    per_process = ", ".join(f"{name} {v['rss_mb']:.0f}" for name, v in after.items() if name != NATS_NAME)
    return Figure(
        name="memory",
        label="Memory, whole stack (project processes; nats-server apart)",
        value=value,
        target=f"< {TARGET_MB} MB after load",
        ok=after_totals["project_rss_mb"] < TARGET_MB,
        command="VmRSS (/proc/<pid>/status) and Pss (/proc/<pid>/smaps_rollup) summed over each process tree",
        params={"pid_of_bench": os.getpid()},
        summary={"idle": idle_totals or {}, "after": after_totals},
        runs=[{"idle": idle or {}, "after": after}],
        notes=f"RSS after load per process tree, MB: {per_process}. PostgreSQL is shared and not counted.",
    )
