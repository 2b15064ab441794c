"""The live alarm page in a real Chromium, and the live feed across several web processes.

Chromium is Debian's (``/usr/bin/chromium``), driven by Playwright's sync API; nothing is
downloaded. NATS helpers run in a thread of their own, because Playwright's sync API keeps
an event loop running on the test's thread.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import orjson
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from stack.accounts import TEST_LOGIN
from stack.infra import free_port, wait_for
from stack.procs import Proc, Spec
from stack.system import System, web_argv
from tests.conftest import query, site
from tests.helpers import Message, alarm, publish

pytestmark = [pytest.mark.system, pytest.mark.browser]

ALARMS = site("alarms_site")
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
T = TypeVar("T")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (make browser)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def off_loop(function: Callable[..., T], *args: Any) -> T:
    """Run ``function`` in another thread (it may use asyncio.run)."""
    with ThreadPoolExecutor(max_workers=1) as executor:
        return executor.submit(function, *args).result(timeout=60)


def publish_alarms(system: System, payloads: list[dict]) -> None:
    off_loop(publish, system.nats_url, [Message(orjson.dumps(p), msg_id=p["id"]) for p in payloads])


def signed_in(browser: Browser, origin: str) -> BrowserContext:
    """A browser session signed in through the live page's redirect to the sign-in form.

    Its cookie is for the host, so it opens every web process on 127.0.0.1 (one database).
    """
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(f"{origin}/alarms/live/")
    expect(page).to_have_url(f"{origin}/accounts/login/?next=/alarms/live/")
    page.fill("#id_username", TEST_LOGIN.username)
    page.fill("#id_password", TEST_LOGIN.password)
    page.click("input[type=submit]")
    expect(page).to_have_url(f"{origin}/alarms/live/")
    page.close()
    return context


def open_live_page(context: BrowserContext, url: str) -> Page:
    page = context.new_page()
    page.goto(url)
    expect(page.locator("#connection")).to_have_class(re.compile("connection--live"), timeout=10_000)
    return page


def row(page: Page, name: str):
    return page.locator(".alarm", has_text=name)


def start_second_web(system: System) -> Proc:
    """Another daphne process of alarms_site, on a port of its own."""
    port = free_port()
    spec = Spec(
        name="alarms-web-2",
        argv=web_argv(ALARMS, port),
        env=system.env(ALARMS),
        ready_url=f"http://127.0.0.1:{port}/health/live",
    )
    return system.group.start(spec)


def test_it_shows_new_alarms_most_pressing_first_and_acknowledges_on_every_open_page(system, browser):
    web, bridge = system.start_web(ALARMS), system.start_bridge(ALARMS)
    web.wait_ready()
    bridge.wait_ready()
    session = signed_in(browser, system.url(ALARMS, ""))
    pages = [open_live_page(session, system.url(ALARMS, "/alarms/live/")) for _ in range(2)]
    first = alarm(name="First alarm of the day")
    publish_alarms(system, [first])
    expect(row(pages[0], first["name"])).to_be_visible(timeout=5_000)

    # Published one after the other, each shown on every page before the next is sent. How fast
    # is the bench's business (bench/); here it is that each arrives, once, in its place.
    published = [first]
    for index, severity in enumerate(["info", "warning", "minor", "major", "critical"]):
        payload = alarm(name=f"Smoke in the server room {index}", severity=severity, buildingId=42)
        publish_alarms(system, [payload])
        published.append(payload)
        for page in pages:
            expect(row(page, payload["name"])).to_be_visible(timeout=5_000)
    # Priority by severity (critical high, major medium, the rest low), then newest: the first
    # alarm is major, so it comes before the newer minor, warning and info ones.
    earliest, info, warning, minor, major, critical = (payload["name"] for payload in published)
    most_pressing_first = [critical, major, earliest, minor, warning, info]
    for page in pages:
        expect(page.locator(".alarm")).to_have_count(len(published))
        assert page.locator(".alarm__name").all_text_contents() == most_pressing_first
    shown = row(pages[0], payload["name"])
    expect(shown.locator(".badge")).to_have_text("critical")
    expect(shown.locator(".alarm__building")).to_have_text("Building 42")

    shown.get_by_role("button", name="Acknowledge").click()

    for page in pages:
        expect(row(page, payload["name"])).to_have_class(re.compile("alarm--done"), timeout=5_000)
        expect(row(page, payload["name"]).locator(".acknowledged")).to_contain_text(TEST_LOGIN.username)
    acknowledged = "SELECT name, acknowledged_by FROM alarms_alarm WHERE acknowledged_at IS NOT NULL"
    assert query(system, "alarms_site", acknowledged) == [(payload["name"], TEST_LOGIN.username)]
    session.close()


def test_it_reconnects_after_losing_its_server_and_catches_up_without_gaps_or_repeats(system, browser):
    web, bridge = system.start_web(ALARMS), system.start_bridge(ALARMS)
    web.wait_ready()
    bridge.wait_ready()
    session = signed_in(browser, system.url(ALARMS, ""))
    page = open_live_page(session, system.url(ALARMS, "/alarms/live/"))
    first = alarm(name="Before the outage")
    publish_alarms(system, [first])
    expect(row(page, first["name"])).to_be_visible(timeout=5_000)

    web.kill()
    expect(page.locator("#connection")).to_have_class(re.compile("connection--offline"), timeout=5_000)
    missed = [alarm(name=f"During the outage {index}") for index in range(5)]
    publish_alarms(system, missed)
    wait_for(lambda: query(system, "alarms_site", "SELECT count(*) FROM alarms_alarm")[0][0] == 6, timeout=10)
    system.start_web(ALARMS).wait_ready()

    expect(page.locator("#connection")).to_have_class(re.compile("connection--live"), timeout=20_000)
    expect(page.locator(".alarm")).to_have_count(6)
    names = page.locator(".alarm__name").all_text_contents()
    assert sorted(names) == sorted(a["name"] for a in [first, *missed])
    session.close()


RECORD_FRAMES = """url => new Promise((resolve, reject) => {
  window.received = [];
  const socket = new WebSocket(url);
  socket.onmessage = event => {
    const frame = JSON.parse(event.data);
    window.received.push(frame);
    if (frame.type === 'catchup') resolve(true);
  };
  socket.onopen = () => socket.send(JSON.stringify({type: 'resume', since: 0, unacknowledged: []}));
  socket.onerror = () => reject(new Error('socket error'));
  setTimeout(() => reject(new Error('no catch-up within 10 s')), 10000);
})"""


def test_every_socket_on_every_web_process_gets_every_alarm_exactly_once(system, browser):
    # 240 alarms are a flood, which groups the page by building; here the list is checked as one.
    system.extra_env["ALARMS_FLOOD_START"] = "100000"
    webs = [system.start_web(ALARMS), start_second_web(system)]
    bridges = [system.start_bridge(ALARMS, index) for index in (1, 2)]
    for proc in [*webs, *bridges]:
        proc.wait_ready()
    origins = [system.url(ALARMS, ""), webs[1].spec.ready_url.removesuffix("/health/live")]
    session = signed_in(browser, origins[0])
    sockets = []
    for origin in origins:
        for _ in range(2):
            page = session.new_page()
            page.goto(f"{origin}/health/live")  # same origin as the socket, as the live page is
            page.evaluate(RECORD_FRAMES, f"{origin.replace('http', 'ws')}/ws/alarms/")
            sockets.append(page)
    live_pages = [open_live_page(session, f"{origin}/alarms/live/") for origin in origins]

    payloads = [alarm(name=f"Burst {index}") for index in range(240)]
    for start in range(0, len(payloads), 60):
        publish_alarms(system, payloads[start : start + 60])

    stored = wait_for(
        lambda: (rows := query(system, "alarms_site", "SELECT id FROM alarms_alarm")) and len(rows) == 240 and rows,
        timeout=20,
        what="240 alarms stored",
    )
    expected = sorted(row_id for (row_id,) in stored)

    def pushed(page: Page) -> list[int]:
        frames = page.evaluate("window.received.filter(frame => frame.type === 'created')")
        return sorted(alarm["id"] for frame in frames for alarm in frame["alarms"])

    for page in sockets:
        wait_for(lambda page=page: len(pushed(page)) >= 240, timeout=10, what="every alarm pushed")
    # A marker published once every socket had all 240: a second push of any of them would have
    # left its web process before the marker's, and a socket receives in order.
    marker = alarm(name="Marker")
    publish_alarms(system, [marker])
    [(marker_id,)] = wait_for(
        lambda: query(system, "alarms_site", "SELECT id FROM alarms_alarm WHERE name = 'Marker'"), timeout=10
    )
    for page in sockets:
        wait_for(lambda page=page: marker_id in pushed(page), timeout=10, what="the marker pushed")
        assert pushed(page) == sorted([*expected, marker_id])
    newest = [marker_id, *expected[-99:][::-1]]
    for page in live_pages:
        expect(row(page, "Marker")).to_be_visible(timeout=5_000)
        expect(page.locator(".alarm")).to_have_count(100)
        shown = [
            int(value) for value in page.locator(".alarm").evaluate_all("rows => rows.map(r => r.dataset.alarmId)")
        ]
        assert shown == newest
    session.close()
