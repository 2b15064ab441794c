"""NATS restarted under the whole system: every process, by name, works again through its own path."""

from __future__ import annotations

import asyncio
import re
import signal
import time

import orjson
import pytest
from websockets.asyncio.client import connect

from stack import infra
from stack.accounts import TEST_LOGIN, session_cookie
from stack.infra import wait_for
from stack.procs import Proc
from stack.system import SITES, System
from tests.conftest import query
from tests.helpers import (
    ALARMS,
    BUILDINGS,
    WORKFLOWS,
    Message,
    alarm,
    every_building_has_exactly_one_workflow,
    publish,
    stored_ids,
)
from tests.httpclient import post_json

pytestmark = pytest.mark.system

TIMEOUT = 60


def log_since(proc: Proc, offset: int) -> str:
    """What ``proc`` logged after the first ``offset`` characters."""
    return proc.log_text()[offset:]


def live_alarm_pushed(system: System, payload: dict) -> dict:
    """Open a signed-in live socket, resume, publish ``payload`` and return the ``created`` frame holding it."""
    url = system.url(ALARMS, "/ws/alarms/").replace("http://", "ws://")
    origin = system.url(ALARMS, "").rstrip("/")
    cookie = session_cookie(system.url(ALARMS, ""), TEST_LOGIN)

    async def scenario() -> dict:
        async with connect(url, origin=origin, additional_headers={"Cookie": cookie}, proxy=None) as ws:
            await ws.send(orjson.dumps({"type": "resume", "since": 0, "unacknowledged": []}).decode())
            assert orjson.loads(await asyncio.wait_for(ws.recv(), TIMEOUT))["type"] == "catchup"
            # Published only after the catch-up was read, so the alarm can reach the socket only live.
            await asyncio.to_thread(publish, system.nats_url, [Message(orjson.dumps(payload), msg_id=payload["id"])])
            async with asyncio.timeout(TIMEOUT):
                while True:
                    frame = orjson.loads(await ws.recv())
                    if frame["type"] == "created" and any(a["name"] == payload["name"] for a in frame["alarms"]):
                        return frame

    return asyncio.run(scenario())


def test_every_process_of_the_whole_system_works_again_through_its_own_path_after_a_nats_restart(
    procs, databases, restartable_nats, nats_auth
):
    system = System(
        procs,
        nats_url=restartable_nats.url,
        nats_auth=nats_auth,
        database_urls=databases,
        ports={s.package: infra.free_port() for s in SITES},
    )
    buildings_web, buildings_bridge = system.start_web(BUILDINGS), system.start_bridge(BUILDINGS)
    workflows = [system.start_bridge(WORKFLOWS, index) for index in (1, 2, 3)]
    alarms_bridges = [system.start_bridge(ALARMS, index) for index in (1, 2)]
    alarms_web = system.start_web(ALARMS)
    for proc in [buildings_web, buildings_bridge, *workflows, *alarms_bridges, alarms_web]:
        proc.wait_ready()
    generator = system.start_generator("--rate", "5", "--seed", "11")
    generator.wait_ready()
    url = system.url(BUILDINGS, "/api/buildings/")
    assert post_json(url, {"name": "Before"})[1]["workflow_status"] == "created"
    # The live feed connects with its first socket: one before the restart, so it has a connection to lose.
    live_alarm_pushed(system, alarm(name="Pushed before the restart"))

    restartable_nats.stop()
    during = [post_json(url, {"name": f"During {i}"}) for i in range(3)]
    time.sleep(2)
    offsets = {proc.spec.name: len(proc.log_text()) for proc in procs.procs}
    restarted_at = query(system, "alarms_site", "SELECT now()")[0][0]
    restartable_nats.start()

    # buildings-web: its own request answered, so the 201 itself says created (the relay cannot
    # change a response the web already sent).
    answers = wait_for(
        lambda: (answer := post_json(url, {"name": "After"}))[1]["workflow_status"] == "created" and answer,
        timeout=TIMEOUT, interval=0.5, what="the buildings web creating a workflow itself",
    )  # fmt: skip
    assert answers[0] == 201
    # buildings-bridge: only its relay re-sends the buildings answered pending during the outage.
    assert {body["workflow_status"] for _, body in during} == {"pending"}
    every_building_has_exactly_one_workflow(system, query(system, "buildings_site",
                                                          "SELECT count(*) FROM buildings_building")[0][0])  # fmt: skip
    # workflows-bridge-1..3: each one created workflows after the restart.
    for attempt in range(60):
        if all(re.search(r"workflow \d+ for building", log_since(p, offsets[p.spec.name])) for p in workflows):
            break
        assert post_json(url, {"name": f"Spread {attempt}"})[1]["workflow_status"] == "created"
    for replica in workflows:
        assert "workflow " in log_since(replica, offsets[replica.spec.name]), f"{replica.spec.name} answered nothing"

    # alarms-web: a socket opened after the restart gets a new alarm pushed live.
    wait_for(lambda: "live feed: NATS connection restored" in log_since(alarms_web, offsets[alarms_web.spec.name]),
             timeout=TIMEOUT, interval=0.2, what="the alarms web's live feed back")  # fmt: skip
    frame = live_alarm_pushed(system, alarm(name="Pushed after the restart"))
    assert frame["type"] == "created"
    # alarms-bridge-1 and 2: each stores new alarms alone while the other is paused (SIGSTOP).
    for working, paused in (alarms_bridges, alarms_bridges[::-1]):
        paused.signal(signal.SIGSTOP)
        try:
            batch = [alarm() for _ in range(20)]
            publish(system.nats_url, [Message(orjson.dumps(a), msg_id=a["id"]) for a in batch])
            wait_for(lambda ids={a["id"] for a in batch}: ids <= stored_ids(system), timeout=TIMEOUT, interval=0.2,
                     what=f"{working.spec.name} storing alarms alone")  # fmt: skip
        finally:
            paused.signal(signal.SIGCONT)
    # alarms-generator: alarms it made after the restart (its occurredAt) are stored.
    wait_for(
        lambda: query(system, "alarms_site", "SELECT count(*) FROM alarms_alarm WHERE occurred_at > %s"
                      " AND name NOT LIKE 'Alarm %%' AND name NOT LIKE 'Pushed %%'", [restarted_at])[0][0] > 0,
        timeout=TIMEOUT, interval=0.5, what="alarms the generator published after the restart stored",
    )  # fmt: skip
    assert "published" in log_since(generator, offsets[generator.spec.name])
    for proc in procs.procs:
        assert proc.alive(), f"{proc.spec.name} died"
        assert "Traceback" not in proc.log_text(), f"{proc.spec.name}:\n{proc.log_text()[-3000:]}"
