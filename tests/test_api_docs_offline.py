"""Every site's API docs page works with no network beyond this machine.

Swagger UI's scripts and styles come from the site itself (drf-spectacular-sidecar), so the
page lists the operations in a real Chromium even when every request that leaves loopback
is refused, as on a machine without internet access or behind a strict proxy.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Route, expect

from stack.system import SITES, System
from tests.test_live_page import browser  # noqa: F401 - a fixture

pytestmark = [pytest.mark.system, pytest.mark.browser]

LOOPBACK = {"127.0.0.1", "localhost", "[::1]", "::1"}


@pytest.mark.parametrize("site", SITES, ids=[s.package for s in SITES])
def test_the_docs_page_lists_the_operations_with_every_off_machine_request_refused(system: System, browser, site):  # noqa: F811
    system.start_web(site).wait_ready()
    refused: list[str] = []

    def only_loopback(route: Route) -> None:
        if urlsplit(route.request.url).hostname in LOOPBACK:
            route.continue_()
        else:
            refused.append(route.request.url)
            route.abort("internetdisconnected")

    context = browser.new_context()
    context.route("**/*", only_loopback)
    page = context.new_page()
    page.goto(system.url(site, "/api/docs/"))

    operations = page.locator(".opblock-summary-path")
    expect(operations.first).to_be_visible(timeout=15_000)
    paths = set(operations.all_inner_texts())
    assert any(path.startswith("/api/") for path in paths), paths
    assert refused == [], f"the docs page asked for off-machine resources: {refused}"
    context.close()
