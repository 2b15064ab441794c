"""The alarm status page in a real Chromium: stored alarms become bars, and new ones appear on refresh.

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
