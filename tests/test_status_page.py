"""The alarm status page in a real Chromium: stored alarms become bars, new ones appear on refresh,
and the KPI panels show the figures of known alarms.

Alarms go the real way (JetStream, the alarms bridge, PostgreSQL); the user signs in through
the admin login form, since the page requires a signed-in user.
"""

from __future__ import annotations

import re
from collections import Counter

import pytest
from playwright.sync_api import Browser, Page, expect

from stack.accounts import TEST_LOGIN
from stack.infra import wait_for
from stack.system import System
from tests.conftest import query, site
from tests.test_alarm_lifecycle_page import send
from tests.test_alarms_pipeline import alarm
from tests.test_live_page import browser, publish_alarms  # noqa: F401 - browser is a fixture

pytestmark = [pytest.mark.system, pytest.mark.browser]

ALARMS = site("alarms_site")


def sign_in_and_open_status(chromium: Browser, system: System) -> Page:
    page = chromium.new_page(viewport={"width": 1280, "height": 800})
    page.goto(system.url(ALARMS, "/alarms/status/?refresh=1"))
    # Not signed in: sent to a login page. The admin's form signs in (it is there in every version).
    expect(page).to_have_url(re.compile(r"next="))
    page.goto(system.url(ALARMS, "/admin/login/?next=/alarms/status/%3Frefresh%3D1"))
    page.fill("#id_username", TEST_LOGIN.username)
    page.fill("#id_password", TEST_LOGIN.password)
    page.click("input[type=submit]")
    expect(page).to_have_url(re.compile(r"/alarms/status/"))
    expect(page.locator("#connection")).to_have_class(re.compile("connection--live"), timeout=10_000)
    return page


def drawn(page: Page) -> Counter:
    """The alarms the chart shows, by severity (summed over the bars' segments)."""
    counts = page.locator("#chart rect.segment").evaluate_all(
        "rects => rects.map(r => [r.classList[1].replace('segment--', ''), Number(r.dataset.count)])"
    )
    total: Counter = Counter()
    for severity, count in counts:
        total[severity] += count
    return total


def stored(system: System, count: int) -> None:
    wait_for(
        lambda: query(system, "alarms_site", "SELECT count(*) FROM alarms_alarm")[0][0] == count,
        timeout=15,
        what=f"{count} alarms stored",
    )


def test_it_draws_stored_alarms_as_stacked_bars_and_refreshes(system, browser):  # noqa: F811
    web, bridge = system.start_web(ALARMS), system.start_bridge(ALARMS)
    web.wait_ready()
    bridge.wait_ready()
    severities = ["critical", "critical", "major", "warning", "info", "info", "info"]
    publish_alarms(system, [alarm(name=f"Status {index}", severity=s) for index, s in enumerate(severities)])
    stored(system, len(severities))

    page = sign_in_and_open_status(browser, system)

    expect(page.locator("#chart svg g.bar")).to_have_count(60)
    expect(page.locator("#chart rect.segment--critical")).not_to_have_count(0)
    assert drawn(page) == Counter(severities)
    box = page.locator("#chart rect.segment--info").first.bounding_box()
    assert box is not None and box["height"] > 0 and box["width"] > 0  # really drawn, not just in the DOM
    expect(page.locator("#chart-empty")).to_be_hidden()
    expect(page.locator('.legend__item[data-severity="info"] strong')).to_have_text("3")

    publish_alarms(system, [alarm(name="After the first draw", severity="minor")])
    stored(system, len(severities) + 1)

    expect(page.locator("#chart rect.segment--minor")).to_have_count(1, timeout=10_000)  # no reload: a refresh
    assert drawn(page) == Counter([*severities, "minor"])
    page.get_by_role("link", name="Live alarms").click()
    expect(page).to_have_url(re.compile(r"/alarms/live/$"))
    page.close()


def figure(page: Page, kpi: str):
    return page.locator(f'.tile[data-kpi="{kpi}"] strong')


def test_the_kpi_panels_show_the_flood_priority_mix_bad_actors_standing_and_chattering_of_known_alarms(
    system,
    browser,  # noqa: F811
):
    web, bridge = system.start_web(ALARMS), system.start_bridge(ALARMS)
    web.wait_ready()
    bridge.wait_ready()
    # Twelve within seconds: a flood (more than 10 in 10 minutes), on now, peak 12.
    raised = [
        *(alarm(name=f"Fan {n}", buildingId=1, source="fan-2", severity="critical") for n in range(2)),
        *(alarm(name=f"Pump B2 {n}", buildingId=2, source="pump-7", severity="major") for n in range(3)),
        *(alarm(name=f"Pump B1 {n}", buildingId=1, source="pump-7", severity="minor") for n in range(7)),
    ]
    standing = alarm(name="Left open for a day", severity="info")
    publish_alarms(system, [*raised, standing])
    stored(system, len(raised) + 1)
    # Received 25 hours ago and still open: standing, and outside the window's figures.
    moved = "UPDATE alarms_alarm SET received_at = now() - interval '25 hours' WHERE name = %s RETURNING id"
    assert len(query(system, "alarms_site", moved, [standing["name"]])) == 1
    # Raised, cleared and raised again within a minute: chattering (a re-raise is no new annunciation).
    key = {"buildingId": 1, "source": "pump-7", "name": "Pump B1 0"}
    send(system, "alarm.cleared", [key])
    state = "SELECT state FROM alarms_alarm WHERE name = 'Pump B1 0'"
    wait_for(lambda: query(system, "alarms_site", state) == [("cleared_unacknowledged",)], timeout=15, what="cleared")
    publish_alarms(system, [alarm(name="Pump B1 0", buildingId=1, source="pump-7", severity="minor")])
    marked = "SELECT count(*) FROM alarms_alarm WHERE chattering"
    wait_for(lambda: query(system, "alarms_site", marked) == [(1,)], timeout=15, what="marked chattering")

    page = sign_in_and_open_status(browser, system)

    expect(figure(page, "annunciated")).to_have_text("12", timeout=10_000)
    expect(figure(page, "floods")).to_have_text("1")
    expect(figure(page, "flood-peak")).to_have_text("12")
    expect(figure(page, "standing")).to_have_text("1")
    expect(figure(page, "chattering")).to_have_text("1")
    expect(page.locator('.tile[data-kpi="floods"]')).to_have_class(re.compile("tile--alert"))
    expect(page.locator("#flood-state")).to_contain_text("in flood since")
    day_share = float(figure(page, "flood-percent").get_attribute("data-value"))
    assert 0 < day_share < 1  # on for seconds of a day

    counts = page.locator("#kpi-chart rect.bucket").evaluate_all("bars => bars.map(b => Number(b.dataset.count))")
    assert len(counts) in (144, 145) and sum(counts) == 12  # a day of 10-minute buckets, the first and last cut
    expect(page.locator("#kpi-chart rect.flood")).to_have_count(1)
    expect(page.locator("#kpi-chart rect.flood")).to_have_attribute("data-end", "")  # still on
    expect(page.locator("#kpi-chart line.threshold")).to_have_attribute("data-value", "10")
    shade = page.locator("#kpi-chart rect.flood").bounding_box()
    assert shade is not None and shade["width"] >= 1 and shade["height"] > 100  # really drawn

    mix = page.locator("#priority-mix .mix__row")
    assert mix.evaluate_all("rows => rows.map(r => [r.dataset.priority, Number(r.dataset.count)])") == [
        ["high", 2], ["medium", 3], ["low", 7]
    ]  # fmt: skip
    expect(page.locator('.mix__row[data-priority="high"]')).to_have_class(re.compile("mix__row--over"))
    expect(page.locator('.mix__row[data-priority="high"] .mix__figures')).to_have_text("16.7 % (2) · guideline 5 %")
    expect(page.locator('.mix__row[data-priority="low"]')).not_to_have_class(re.compile("mix__row--over"))

    actors = page.locator("#bad-actors tbody tr").evaluate_all(
        "rows => rows.map(r => [...r.cells].map(c => c.textContent))"
    )
    assert actors == [
        ["1", "1", "pump-7", "7", "58.3 %"], ["2", "2", "pump-7", "3", "25.0 %"], ["3", "1", "fan-2", "2", "16.7 %"]
    ]  # fmt: skip
    expect(page.locator("#actors-share")).to_have_text("100.0 % of the load")

    page.select_option("#kpi-window", "1h")
    expect(page).to_have_url(re.compile(r"window=1h"))
    # An hour of 10-minute buckets: 7 with the first and last cut, 6 when it ends on the clock's 10 minutes.
    page.wait_for_function("() => [6, 7].includes(document.querySelectorAll('#kpi-chart rect.bucket').length)")
    hour_share = float(figure(page, "flood-percent").get_attribute("data-value"))
    assert hour_share > day_share
    page.close()
