"""The run command's supervisor, with real child processes: a process that dies comes back, one
that cannot stay up stops the run."""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
import time
from pathlib import Path

import pytest

from stack import infra
from stack.procs import ProcGroup, Spec
from stack.supervisor import Supervisor
from tests.helpers import BUILDINGS, start_buildings_and_workflows
from tests.httpclient import post_json

SLEEPER = [sys.executable, "-c", "import time; print('up', flush=True); time.sleep(120)"]
CRASHER = [sys.executable, "-c", "import sys; print('starting', flush=True); sys.exit(3)"]


@pytest.fixture
def group(tmp_path: Path):
    group = ProcGroup(tmp_path / "logs")
    yield group
    group.stop_all(timeout=5)


def supervise_until(supervisor: Supervisor, predicate, timeout: float = 15.0):
    """Call ``check`` as the run loop does until ``predicate()`` holds."""

    def checked():
        assert supervisor.check(), "the supervisor gave up"
        return predicate()

    return infra.wait_for(checked, timeout=timeout, interval=0.05, what="supervised state")


def test_it_restarts_a_killed_process_and_says_so_with_its_name_exit_and_restart_count(group, caplog):
    bridge = group.start(Spec("workflows-bridge-2", SLEEPER, ready_log="up"))
    other = group.start(Spec("workflows-web", SLEEPER, ready_log="up"))
    for proc in (bridge, other):
        proc.wait_ready(10)
    supervisor = Supervisor(group, first_delay=0.1)
    first_pid, other_pid = bridge.pid, other.pid

    with caplog.at_level(logging.WARNING, logger="stack"):
        os.kill(first_pid, signal.SIGKILL)  # as the kernel's OOM killer or an operator would
        supervise_until(supervisor, lambda: bridge.alive() and bridge.pid != first_pid)
        bridge.wait_ready(10)

    messages = [record.getMessage() for record in caplog.records]
    assert any(m.startswith("workflows-bridge-2 exited (killed by SIGKILL)") and "restart 1 in" in m for m in messages)
    assert any(m.startswith("workflows-bridge-2 restarted (restart 1, pid ") for m in messages)
    assert other.alive() and other.pid == other_pid  # the others are left alone


def test_it_counts_restarts_and_backs_off_between_them(group, caplog):
    proc = group.start(Spec("buildings-bridge-1", SLEEPER, ready_log="up"))
    proc.wait_ready(10)
    supervisor = Supervisor(group, first_delay=0.2, settle_seconds=60)

    with caplog.at_level(logging.WARNING, logger="stack"):
        for _ in range(2):
            pid = proc.pid
            proc.wait_ready(10)
            os.kill(pid, signal.SIGKILL)
            supervise_until(supervisor, lambda pid=pid: proc.alive() and proc.pid != pid)

    scheduled = [r.getMessage() for r in caplog.records if "exited" in r.getMessage()]
    assert "restart 1 in 0.2s" in scheduled[0]
    assert "restart 2 in 0.4s" in scheduled[1]  # the second quick exit waits twice as long
    assert supervisor.restarts["buildings-bridge-1"].count == 2


def test_it_gives_up_and_stops_everything_when_a_process_keeps_dying_at_start_up(group, caplog):
    steady = group.start(Spec("alarms-web", SLEEPER, ready_log="up"))
    group.start(Spec("alarms-bridge-1", CRASHER))
    supervisor = Supervisor(group, first_delay=0.05, max_quick_exits=3)
    outcome: list[int] = []

    with caplog.at_level(logging.WARNING, logger="stack"):
        runner = threading.Thread(target=lambda: outcome.append(supervisor.run(threading.Event(), interval=0.05)))
        runner.start()
        runner.join(20)

    assert outcome == [1]
    assert supervisor.gave_up == "alarms-bridge-1"
    [final] = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert final.getMessage().startswith("alarms-bridge-1 exited (exit status 3) 3 times in a row")
    assert "giving up, stopping everything" in final.getMessage()
    assert steady.alive()  # stopping is the caller's: the run command's finally stops the group


def test_it_leaves_a_process_stopped_on_purpose_down(group):
    proc = group.start(Spec("alarms-generator", SLEEPER, ready_log="up"))
    proc.wait_ready(10)
    supervisor = Supervisor(group, first_delay=0.05)

    proc.stop(timeout=5)
    deadline = time.monotonic() + 0.5
    while time.monotonic() < deadline:
        assert supervisor.check()
        time.sleep(0.05)

    assert not proc.alive()


@pytest.mark.system
def test_a_killed_workflows_bridge_is_restarted_and_serves_again(system, caplog):
    _, _, bridge = start_buildings_and_workflows(system, replicas=1)
    supervisor = Supervisor(system.group, first_delay=0.2)
    first_pid = bridge.pid

    with caplog.at_level(logging.WARNING, logger="stack"):
        os.kill(first_pid, signal.SIGKILL)
        supervise_until(supervisor, lambda: bridge.alive() and bridge.pid != first_pid)
        bridge.wait_ready(60)

    assert any(r.getMessage().startswith("workflows-bridge-1 restarted (restart 1") for r in caplog.records)
    status, body = post_json(system.url(BUILDINGS, "/api/buildings/"), {"name": "After the restart"})
    assert status == 201 and body["workflow_status"] == "created", body
