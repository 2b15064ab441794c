"""Small HTTP helpers for the cross-service tests (standard library only).

Every call sends the test account's API token (``stack.accounts.TEST_LOGIN``, present in
every test database) unless told ``token=None``.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from stack.accounts import TEST_LOGIN


def call(
    method: str,
    url: str,
    payload: Any = None,
    *,
    headers: dict[str, str] | None = None,
    token: str | None = TEST_LOGIN.token,
    timeout: float = 15,
) -> tuple[int, Any]:
    """Send a request; returns (status, decoded JSON body or None). Never raises on HTTP errors."""
    data = None if payload is None else json.dumps(payload).encode()
    authorization = {"Authorization": f"Token {token}"} if token else {}
    request = urllib.request.Request(
        url, data=data, method=method, headers={"Content-Type": "application/json", **authorization, **(headers or {})}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = response.read()
            return response.status, json.loads(body) if body else None
    except urllib.error.HTTPError as error:
        body = error.read()
        try:
            return error.code, json.loads(body) if body else None
        except ValueError:
            return error.code, body.decode(errors="replace")


def post_json(url: str, payload: Any, **kwargs: Any) -> tuple[int, Any]:
    return call("POST", url, payload, **kwargs)


def get_json(url: str, **kwargs: Any) -> tuple[int, Any]:
    return call("GET", url, **kwargs)
