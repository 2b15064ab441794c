"""Who gets in, on the real web processes: tokens for the APIs, the sign-in form for people."""

from __future__ import annotations

import dataclasses
import urllib.error
import urllib.request
from email.message import Message

import pytest

from stack.accounts import TEST_LOGIN, session_cookie
from stack.system import SITES
from tests.conftest import site
from tests.httpclient import get_json

pytestmark = pytest.mark.system

ALARMS = site("alarms_site")
COLLECTIONS = {"buildings_site": "/api/buildings/", "workflows_site": "/api/workflows/", "alarms_site": "/api/alarms/"}


def open_url(url: str, cookie: str | None = None) -> tuple[int, str, Message]:
    """GET following redirects, as a browser would: (status, final URL, headers, by any case of their names)."""
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.url, response.headers
    except urllib.error.HTTPError as error:
        return error.code, error.url, error.headers


def test_every_site_refuses_anonymous_api_calls_and_serves_the_test_token(system):
    webs = [system.start_web(s) for s in SITES]
    for web in webs:
        web.wait_ready()

    for s in SITES:
        url = system.url(s, COLLECTIONS[s.package])
        anonymous_status, anonymous_body = get_json(url, token=None)
        status, body = get_json(url)
        admin = open_url(system.url(s, "/admin/"))

        assert (anonymous_status, anonymous_body) == (401, {"detail": "Authentication credentials were not provided."})
        assert open_url(url)[2]["WWW-Authenticate"] == "Token"
        assert (status, body["count"]) == (200, 0), s.package
        assert get_json(url, token="0" * 40)[0] == 401
        assert admin[:2] == (200, system.url(s, "/admin/login/?next=/admin/"))
        assert get_json(system.url(s, "/health/live"), token=None) == (200, {"status": "ok"})


def test_the_live_page_opens_after_signing_in_through_the_sign_in_form(system):
    system.start_web(ALARMS).wait_ready()
    live_page = system.url(ALARMS, "/alarms/live/")

    anonymous = open_url(live_page)
    cookie = session_cookie(system.url(ALARMS, ""), TEST_LOGIN)
    signed_in = open_url(live_page, cookie)

    assert anonymous[:2] == (200, system.url(ALARMS, "/accounts/login/?next=/alarms/live/"))
    assert signed_in[:2] == (200, live_page)
    with pytest.raises(RuntimeError, match="refused the login"):
        session_cookie(system.url(ALARMS, ""), dataclasses.replace(TEST_LOGIN, password="wrong password"))
