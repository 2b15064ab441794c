"""The operator's live page in a real Chromium: actions, true counts, priority order, filters, floods, rights.

Real daphne, bridge, NATS and PostgreSQL, as in tests/test_live_page.py (whose fixtures and
helpers these tests share).
"""

from __future__ import annotations

import os
import re
import subprocess

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from stack.accounts import TEST_LOGIN
from stack.infra import wait_for
from stack.system import REPO_ROOT, System, manage
from tests.conftest import query
from tests.helpers import alarm
from tests.test_alarm_lifecycle_page import send
from tests.test_live_page import (  # noqa: F401 - browser is a fixture
    ALARMS,
    browser,
    open_live_page,
    publish_alarms,
    row,
    signed_in,
)

pytestmark = [pytest.mark.system, pytest.mark.browser]

LIVE = 5_000  # ms: a live update, a counts frame (every ALARMS_LIVE_COUNTS_MS) included


def start(system: System) -> None:
    web, bridge = system.start_web(ALARMS), system.start_bridge(ALARMS)
    web.wait_ready()
    bridge.wait_ready()


def count(system: System, where: str) -> int:
    return query(system, "alarms_site", f"SELECT count(*) FROM alarms_alarm WHERE {where}")[0][0]


def actions_of(page: Page, name: str):
    """The row's action panel, opened."""
    shown = row(page, name)
    shown.get_by_role("button", name="More").click()
    return shown.locator(".actions")


def create_user(system: System, username: str, password: str, *permissions: str) -> None:
    """A user of the alarms site holding exactly ``permissions`` (not staff, no superuser)."""
    code = (
        "from sitekit.testing import user_with_permissions\n"
        f"user = user_with_permissions({username!r}, *{list(permissions)!r})\n"
        f"user.set_password({password!r})\n"
        "user.save()\n"
    )
    env = {**os.environ, **system.env(ALARMS)}
    subprocess.run(manage(ALARMS, "shell", "-c", code), env=env, check=True, cwd=REPO_ROOT, capture_output=True)


def signed_in_as(chromium: Browser, origin: str, username: str, password: str) -> BrowserContext:
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(f"{origin}/accounts/login/?next=/alarms/live/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("input[type=submit]")
    expect(page).to_have_url(f"{origin}/alarms/live/")
    page.close()
    return context


def test_an_action_on_one_page_shows_on_every_other_open_page_and_a_refusal_shows_in_the_row(system, browser):  # noqa: F811
    start(system)
    session = signed_in(browser, system.url(ALARMS, ""))
    everything = open_live_page(session, system.url(ALARMS, "/alarms/live/?open=true"))  # shelved ones too
    annunciated = open_live_page(session, system.url(ALARMS, "/alarms/live/"))
    leak = alarm(name="Water leak in the plant room", buildingId=4, source="plant/leak-1")
    fan = alarm(name="Supply fan failed", buildingId=4, source="ahu-2/fan")
    publish_alarms(system, [leak, fan])
    for page in (everything, annunciated):
        expect(row(page, fan["name"])).to_be_visible(timeout=LIVE)

    panel = actions_of(annunciated, leak["name"])
    panel.get_by_label("Shelve reason").fill("Plumber on site")
    panel.get_by_label("Shelve for").select_option(label="Until it clears")
    panel.get_by_role("button", name="Shelve", exact=True).click()
    shelved = row(everything, leak["name"]).locator(".mark--shelved")
    expect(shelved).to_have_text("Shelved until it clears", timeout=LIVE)
    expect(row(annunciated, leak["name"])).to_have_count(0, timeout=LIVE)  # it leaves the main list
    for page in (everything, annunciated):
        expect(page.locator("#count-shelved")).to_have_text("1", timeout=LIVE)
        expect(page.locator("#count-annunciated")).to_have_text("1", timeout=LIVE)

    panel = actions_of(everything, fan["name"])
    panel.get_by_label("Assign to").fill(TEST_LOGIN.username)
    panel.get_by_role("button", name="Assign", exact=True).click()
    expect(row(annunciated, fan["name"]).locator(".mark--assignee")).to_have_text(
        f"Assigned to {TEST_LOGIN.username}", timeout=LIVE
    )
    panel.get_by_label("Comment").fill("Technician called")
    panel.get_by_role("button", name="Comment", exact=True).click()
    expect(row(annunciated, fan["name"]).locator(".mark--comments")).to_have_text("1 comment", timeout=LIVE)

    # The API's refusals, in its words, under the row: 409 (assigned already, or no such user) and 400 (blank).
    panel.get_by_label("Assign to").fill(TEST_LOGIN.username)
    panel.get_by_role("button", name="Assign", exact=True).click()
    error = row(everything, fan["name"]).locator(".alarm__error")
    expect(error).to_contain_text(f"is assigned to {TEST_LOGIN.username} already", timeout=LIVE)
    panel.get_by_label("Assign to").fill("nobody-of-that-name")
    panel.get_by_role("button", name="Assign", exact=True).click()
    expect(error).to_contain_text("no active user 'nobody-of-that-name'", timeout=LIVE)

    send(system, "alarm.cleared", [{"buildingId": 4, "source": "ahu-2/fan", "name": fan["name"]}])
    for page in (everything, annunciated):
        state = row(page, fan["name"]).locator(".alarm__state")
        expect(state).to_have_text("Cleared, unacknowledged", timeout=LIVE)
    send(system, "alarm.cleared", [{"buildingId": 4, "source": "plant/leak-1", "name": leak["name"]}])
    # The one-shot shelve ends with the clear: back on the main list, cleared.
    cleared = row(annunciated, leak["name"]).locator(".alarm__state")
    expect(cleared).to_have_text("Cleared, unacknowledged", timeout=LIVE)
    expect(shelved).to_be_hidden()

    journal = "SELECT a.name, j.action FROM alarms_journalentry j JOIN alarms_alarm a ON a.id = alarm_id ORDER BY j.id"
    assert query(system, "alarms_site", journal) == [
        (leak["name"], "shelve"),
        (fan["name"], "assign"),
        (fan["name"], "comment"),
        (fan["name"], "clear"),
        (leak["name"], "clear"),
        (leak["name"], "unshelve"),
    ]
    session.close()


def test_the_header_counts_every_alarm_and_a_critical_one_sits_above_newer_minor_ones(system, browser):  # noqa: F811
    system.extra_env.update(ALARMS_LIVE_WINDOW="20", ALARMS_FLOOD_START="100000")  # a list, not groups
    start(system)
    session = signed_in(browser, system.url(ALARMS, ""))
    page = open_live_page(session, system.url(ALARMS, "/alarms/live/"))
    smoke = alarm(name="Smoke detected", severity="critical", buildingId=9)
    publish_alarms(system, [alarm(severity="minor", buildingId=2) for _ in range(30)])
    publish_alarms(system, [smoke])
    publish_alarms(system, [alarm(severity="minor", buildingId=3) for _ in range(5)])
    wait_for(lambda: count(system, "true") == 36, timeout=15, what="36 alarms stored")

    unacknowledged = count(system, "acknowledged_at IS NULL")
    assert unacknowledged == 36
    expect(page.locator("#count-open")).to_have_text(str(unacknowledged), timeout=LIVE)
    expect(page.locator("#count-matching")).to_have_text("36", timeout=LIVE)
    expect(page.locator(".alarm")).to_have_count(20)
    expect(page.locator(".alarm__name").first).to_have_text(smoke["name"])

    page.reload()  # the same from the page as embedded
    expect(page.locator("#count-open")).to_have_text("36")
    expect(page.locator(".alarm")).to_have_count(20)
    expect(page.locator(".alarm__name").first).to_have_text(smoke["name"])

    # A filter reloads from the API: the true count of what matches, not of the rows loaded before.
    page.locator("#filters select[name=severity]").select_option("minor")
    expect(page).to_have_url(re.compile(r"\?severity=minor$"))
    expect(page.locator("#count-matching")).to_have_text("35", timeout=LIVE)
    expect(page.locator(".alarm")).to_have_count(20)
    expect(row(page, smoke["name"])).to_have_count(0)
    page.locator("#filters input[name=building_id]").fill("3")
    page.locator("#filters input[name=building_id]").press("Enter")
    expect(page.locator("#count-matching")).to_have_text("5", timeout=LIVE)
    expect(page.locator(".alarm")).to_have_count(5)
    expect(page.locator("#count-open")).to_have_text("36")  # the header still counts every alarm

    # A live alarm that matches the filter joins the list; one that does not stays out.
    later = alarm(name="Later in building 3", severity="minor", buildingId=3)
    publish_alarms(system, [later, alarm(name="Elsewhere", severity="minor", buildingId=4)])
    expect(row(page, later["name"])).to_be_visible(timeout=LIVE)
    expect(page.locator("#count-open")).to_have_text("38", timeout=LIVE)
    expect(row(page, "Elsewhere")).to_have_count(0)
    session.close()


def test_a_flood_brings_a_banner_and_groups_alarms_by_building_then_source(system, browser):  # noqa: F811
    start(system)  # ALARMS_FLOOD_START is 10 by default
    session = signed_in(browser, system.url(ALARMS, ""))
    page = open_live_page(session, system.url(ALARMS, "/alarms/live/"))
    expect(page.locator("#flood")).to_be_hidden()
    burst = [alarm(name=f"Door forced {n}", buildingId=5, source="doors/east", severity="minor") for n in range(12)]
    burst.append(alarm(name="Smoke detected", buildingId=8, source="fire/zone-1", severity="critical"))
    publish_alarms(system, burst)

    expect(page.locator("#flood")).to_be_visible(timeout=LIVE)
    expect(page.locator("#flood-text")).to_contain_text("13 alarms annunciated in the last 10 minutes")
    groups = page.locator(".group")
    expect(groups).to_have_count(2, timeout=LIVE)
    first, second = groups.nth(0), groups.nth(1)
    expect(first.locator(".group__toggle")).to_have_text("Building 8")  # the critical one first
    expect(second.locator(".group__counts")).to_contain_text("12 annunciated · 12 unacknowledged")
    expect(second.locator(".source__head")).to_contain_text("doors/east")
    expect(second.locator(".alarm")).to_have_count(5)  # a source's first rows: one burst takes little room
    second.get_by_role("button", name="Show 7 more of the rows loaded").click()
    expect(second.locator(".alarm")).to_have_count(12)

    second.locator(".group__toggle").click()  # folded away
    expect(second.locator(".alarm").first).to_be_hidden()
    expect(first.locator(".alarm")).to_be_visible()
    page.locator("#flood-view").click()  # the operator's choice: one list
    expect(page.locator(".group")).to_have_count(0)
    expect(page.locator("#alarm-list .alarm")).to_have_count(13)
    expect(page.locator("#flood")).to_be_visible()
    session.close()


def test_a_user_without_the_shelve_permission_gets_no_shelve_button(system, browser):  # noqa: F811
    start(system)
    create_user(system, "watcher", "watcher-test-password", "alarms.change_alarm")
    watcher = signed_in_as(browser, system.url(ALARMS, ""), "watcher", "watcher-test-password")
    supervisor = signed_in(browser, system.url(ALARMS, ""))
    pages = [open_live_page(context, system.url(ALARMS, "/alarms/live/")) for context in (watcher, supervisor)]
    payload = alarm(name="Chiller tripped")
    publish_alarms(system, [payload])
    for page in pages:
        expect(row(page, payload["name"])).to_be_visible(timeout=LIVE)

    watcher_panel, supervisor_panel = (actions_of(page, payload["name"]) for page in pages)

    expect(supervisor_panel.get_by_role("button", name="Shelve", exact=True)).to_be_visible()
    expect(watcher_panel.get_by_role("button", name="Assign", exact=True)).to_be_visible()
    expect(watcher_panel.get_by_role("button", name="Shelve", exact=True)).to_have_count(0)
    expect(watcher_panel.get_by_label("Shelve reason")).to_have_count(0)
    expect(row(pages[0], payload["name"]).get_by_role("button", name="Acknowledge")).to_be_visible()
    watcher.close()
    supervisor.close()
