"""Timed shelves over real processes, PostgreSQL and NATS: they end on time, and after every process restarted.

A shelve lasts whole minutes (1 at least); rather than wait them out, the test moves a
shelve's stored end closer, which is what time passing does to it: the rule under test is
that the bridge's scheduled check ends a shelve whose end has passed, whenever it passed,
because the end is in the database and nothing of it is in a process.
"""

from __future__ import annotations

import time

import psycopg
import pytest

from stack.infra import wait_for
from tests.conftest import query
from tests.helpers import alarm
from tests.httpclient import get_json, post_json
from tests.test_live_page import ALARMS, publish_alarms

pytestmark = pytest.mark.system

CHECK_SECONDS = 1  # the bridge's ALARMS_SHELVE_CHECK_SECONDS here


def start(system):
    web, bridge = system.start_web(ALARMS), system.start_bridge(ALARMS, ALARMS_SHELVE_CHECK_SECONDS=str(CHECK_SECONDS))
    web.wait_ready()
    bridge.wait_ready()
    return web, bridge


def shelve(system, alarm_id: int, minutes: int) -> None:
    url = system.url(ALARMS, f"/api/alarms/{alarm_id}/shelve/")
    status, body = post_json(url, {"reason": "sensor replaced", "minutes": minutes})
    assert status == 200, body


def end_in(system, alarm_id: int, seconds: float) -> None:
    """Move the shelve's stored end to ``seconds`` from now (negative: it passed)."""
    sql = "UPDATE alarms_alarm SET shelved_until = now() + make_interval(secs => %s) WHERE id = %s"
    with psycopg.connect(system.database_urls["alarms_site"]) as conn:
        conn.execute(sql, [seconds, alarm_id])


def shelved(system, alarm_id: int) -> bool:
    status, body = get_json(system.url(ALARMS, f"/api/alarms/{alarm_id}/"))
    assert status == 200, body
    return body["shelved"]


def unshelve_entries(system, alarm_id: int) -> list[tuple]:
    sql = "SELECT actor, note FROM alarms_journalentry WHERE alarm_id = %s AND action = 'unshelve'"
    return query(system, "alarms_site", sql, [alarm_id])


def test_a_timed_shelve_ends_on_time_and_one_that_ended_while_everything_was_down_ends_at_start(system):
    web, bridge = start(system)
    raises = [alarm(name=f"Supply temperature high {n}", source=f"ahu-{n}/supply-temp") for n in (1, 2, 3)]
    publish_alarms(system, raises)
    ids = wait_for(
        lambda: (
            (rows := query(system, "alarms_site", "SELECT id FROM alarms_alarm ORDER BY id"))
            and len(rows) == 3
            and [row[0] for row in rows]
        ),
        timeout=20,
        what="three alarms stored",
    )
    on_time, while_down, kept = ids
    for alarm_id in ids:
        shelve(system, alarm_id, minutes=30)

    end_in(system, on_time, 3)
    moved_at = time.monotonic()
    wait_for(lambda: not shelved(system, on_time) or None, timeout=15, what="the shelve ended by the check")
    took = time.monotonic() - moved_at
    assert 3 - 0.5 <= took <= 3 + CHECK_SECONDS + 2, took
    assert unshelve_entries(system, on_time) == [("system", "shelve time ended")]

    end_in(system, while_down, 2)
    web.stop()
    bridge.stop()
    time.sleep(3)  # the end passes while no process runs
    assert query(system, "alarms_site", "SELECT count(*) FROM alarms_journalentry WHERE action = 'unshelve'") == [(1,)]
    web, bridge = start(system)
    wait_for(lambda: not shelved(system, while_down) or None, timeout=CHECK_SECONDS + 10, what="ended after restart")

    assert shelved(system, kept)
    assert unshelve_entries(system, while_down) == [("system", "shelve time ended")]
    assert bridge.alive() and web.alive()
