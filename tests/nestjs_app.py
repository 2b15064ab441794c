"""Running the NestJS app of tests/nestjs against a test's system: its workflows-service
replicas, its ClientProxy caller and its alarm emitter, each logged in as the NATS user of
deploy/nats/auth.conf whose part it plays."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from typing import Any

import orjson
import pytest

from stack.procs import Proc, Spec
from stack.system import REPO_ROOT, System

APP = REPO_ROOT / "tests" / "nestjs"
DIST = APP / "dist"
CREATED = re.compile(r"workflow (\d+) created for building (\d+) on (\S+)")


def build() -> str:
    """Install and compile the app (``make nestjs``: a no-op when nothing changed); returns node's path."""
    node = shutil.which("node")
    if node is None or shutil.which("npm") is None:
        pytest.fail("node and npm are missing: install Node 20 (the NestJS drop-in tests need it)")
    done = subprocess.run(["make", "-s", "nestjs"], cwd=REPO_ROOT, capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        pytest.fail(f"make nestjs failed:\n{done.stdout[-3000:]}{done.stderr[-3000:]}")
    return node


def start_workflows_replicas(system: System, count: int = 3) -> list[Proc]:
    """``count`` NestJS workflows-service replicas in the queue group ``workflows-service``, all ready."""
    replicas = []
    for index in range(1, count + 1):
        spec = Spec(
            name=f"nest-workflows-{index}",
            argv=[shutil.which("node") or "node", str(DIST / "workflows-service.js")],
            env={**system.nats_env("workflows"), "REPLICA": str(index)},
            ready_log="listening",
        )
        replicas.append(system.group.start(spec))
    for replica in replicas:
        replica.wait_ready(60)
    return replicas


def created_workflows(replicas: list[Proc]) -> dict[int, tuple[int, str, str]]:
    """Every workflow the replicas logged: id -> (building id, subject it was asked on, replica)."""
    found: dict[int, tuple[int, str, str]] = {}
    for replica in replicas:
        for workflow_id, building_id, subject in CREATED.findall(replica.log_text()):
            assert int(workflow_id) not in found, f"workflow {workflow_id} created twice"
            found[int(workflow_id)] = (int(building_id), subject, replica.spec.name)
    return found


def _run(system: System, script: str, user: str, env: dict[str, str]) -> str:
    argv = [shutil.which("node") or "node", str(DIST / f"{script}.js")]
    done = subprocess.run(
        argv,
        env={**os.environ, **system.nats_env(user), **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, f"{script} exited {done.returncode}:\n{done.stdout[-3000:]}{done.stderr[-3000:]}"
    return done.stdout


def send_requests(system: System, requests: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Send each request through NestJS's ``ClientProxy.send`` and ``lastValueFrom``, as buildings does.

    Returns, in order, ``{"resolved": reply}`` or ``{"rejected": err}``.
    """
    output = _run(system, "buildings-client", "buildings", {"NEST_REQUESTS": orjson.dumps(requests).decode()})
    results = [orjson.loads(line.removeprefix("RESULT ")) for line in output.splitlines() if line.startswith("RESULT ")]
    assert len(results) == len(requests), output
    return results


def emit_alarms(system: System, alarms: list[dict[str, Any]]) -> None:
    """``emit('alarm.created', alarm)`` for each alarm, from NestJS, logged in as the generator."""
    output = _run(system, "alarms-emitter", "generator", {"NEST_ALARMS": orjson.dumps(alarms).decode()})
    assert f"emitted {len(alarms)} alarm.created" in output, output
