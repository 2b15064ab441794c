"""An alarm's lifecycle over real NATS, PostgreSQL and Chromium: repeats, a clear, a rejected clear."""

from __future__ import annotations

import asyncio
import re
import uuid

import nats
import orjson
import pytest
from playwright.sync_api import expect

from stack.accounts import TEST_LOGIN
from stack.infra import wait_for
from tests.conftest import query
from tests.helpers import Message, alarm, publish, servers
from tests.test_live_page import ALARMS, browser, off_loop, open_live_page, row, signed_in  # noqa: F401 - fixture

pytestmark = [pytest.mark.system, pytest.mark.browser]


def send(system, subject: str, payloads: list[dict | bytes]) -> None:
    bodies = [payload if isinstance(payload, bytes) else orjson.dumps(payload) for payload in payloads]
    messages = [Message(body, msg_id=str(uuid.uuid4()), subject=subject) for body in bodies]
    off_loop(publish, system.nats_url, messages)


def parked_clears(nats_url: str) -> list[tuple[bytes, str]]:
    """The clears in the dead-letter stream: (body, reason)."""

    async def read() -> list[tuple[bytes, str]]:
        nc = await nats.connect(servers=servers(nats_url))
        js = nc.jetstream()
        stream = "ALARMS_CLEARED_DEAD_LETTER"
        count = (await js.stream_info(stream)).state.messages
        parked = [await js.get_msg(stream, sequence) for sequence in range(1, count + 1)]
        await nc.close()
        return [(message.data, (message.headers or {}).get("Rejected-Reason", "")) for message in parked]

    return off_loop(lambda: asyncio.run(read()))


def test_repeats_and_a_clear_over_nats_update_the_row_and_the_page_and_a_bad_clear_is_parked(system, browser):  # noqa: F811
    web, bridge = system.start_web(ALARMS), system.start_bridge(ALARMS)
    web.wait_ready()
    bridge.wait_ready()
    session = signed_in(browser, system.url(ALARMS, ""))
    page = open_live_page(session, system.url(ALARMS, "/alarms/live/"))
    raise_ = alarm(name="Supply temperature high", buildingId=42, source="ahu-3/supply-temp", severity="critical")
    send(system, "alarm.created", [raise_])
    shown = row(page, raise_["name"])
    expect(shown.locator(".alarm__state")).to_have_text("Active", timeout=5_000)

    send(system, "alarm.created", [{**raise_, "id": str(uuid.uuid4())} for _ in range(2)])
    expect(shown.locator(".alarm__occurrences")).to_have_text("\N{MULTIPLICATION SIGN}3", timeout=5_000)
    expect(page.locator(".alarm")).to_have_count(1)

    send(system, "alarm.cleared", [{"buildingId": 42, "source": "ahu-3/supply-temp", "name": raise_["name"]}])
    expect(shown.locator(".alarm__state")).to_have_text("Cleared, unacknowledged", timeout=5_000)
    sql = "SELECT state, occurrences FROM alarms_alarm"
    assert query(system, "alarms_site", sql) == [("cleared_unacknowledged", 3)]

    shown.get_by_role("button", name="Acknowledge").click()
    expect(shown.locator(".alarm__state")).to_have_text("Closed", timeout=5_000)
    expect(shown).to_have_class(re.compile("alarm--closed"))
    journal = "SELECT action, actor FROM alarms_journalentry ORDER BY id"
    assert query(system, "alarms_site", journal) == [("clear", "system"), ("acknowledge", TEST_LOGIN.username)]

    send(system, "alarm.cleared", [{"buildingId": 42, "source": "ahu-3/supply-temp"}])
    parked = wait_for(lambda: parked_clears(system.nats_url) or None, timeout=15, what="the bad clear parked")
    assert "give alarmEventId, or all of buildingId, source and name" in parked[0][1]
    session.close()
