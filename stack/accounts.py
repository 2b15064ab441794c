"""Signing in to a running site: the fixed account of test and benchmark systems, and a real login."""

from __future__ import annotations

import http.cookiejar
import re
import urllib.parse
import urllib.request
from dataclasses import dataclass


@dataclass(frozen=True)
class Login:
    """A staff superuser of every site and its API token, as ``manage.py ensure_admin`` makes them."""

    username: str
    password: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        """The header that authenticates an API call."""
        return {"Authorization": f"Token {self.token}"}


# Test and benchmark systems run on private databases that are thrown away afterwards, so
# their account can be fixed (and public): every process and client knows it up front.
TEST_LOGIN = Login("operator", "operator-test-password", "7e57" * 10)


def session_cookie(base_url: str, login: Login) -> str:
    """Sign in through the site's sign-in form, as a browser does; returns a ``Cookie`` header value."""
    jar = http.cookiejar.CookieJar()
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    with browser.open(f"{base_url}/accounts/login/", timeout=10) as response:
        form = response.read().decode()
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form)
    if csrf is None:
        raise RuntimeError(f"no login form at {base_url}/accounts/login/")
    fields = {"username": login.username, "password": login.password, "csrfmiddlewaretoken": csrf.group(1)}
    body = urllib.parse.urlencode({**fields, "next": "/api/"}).encode()
    with browser.open(f"{base_url}/accounts/login/", data=body, timeout=10) as response:
        response.read()
    session = next((cookie for cookie in jar if cookie.name == "sessionid"), None)
    if session is None:
        raise RuntimeError(f"{base_url} refused the login of {login.username!r}")
    return f"{session.name}={session.value}"
