"""API token authentication that does not cost a database query on every request.

DRF's ``TokenAuthentication`` reads the token and its user (a join, compiled by the ORM)
on each call; on a hot read that lookup was more than half of the web process's CPU. Here
a token that checked out is remembered by this process for ``API_TOKEN_CACHE_SECONDS``
(10 s by default), with its user and so that user's permission cache.

The price, stated in the README: a token deleted, or a user deactivated or given other
permissions, in another process keeps its old rights there for at most that long. In this
process the change applies at once (the signals below forget the cache).

Guessing tokens is throttled: an address that sent ``API_TOKEN_FAILURE_LIMIT`` wrong tokens
within ``API_TOKEN_FAILURE_WINDOW`` seconds gets 429 with ``Retry-After`` for any token until
the oldest of those failures is out of the window. The count is kept per process.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.utils.translation import gettext_lazy as _
from rest_framework import HTTP_HEADER_ENCODING
from rest_framework.authentication import TokenAuthentication
from rest_framework.exceptions import AuthenticationFailed, Throttled
from rest_framework.request import Request

# Distinct tokens kept at most; past that the cache starts afresh rather than grow.
MAX_TOKENS = 10_000


class TokenCache:
    """Token key -> (user, token, expiry) for a few seconds, safe to share between threads."""

    def __init__(self) -> None:
        self._entries: dict[str, tuple[Any, Any, float]] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> tuple[Any, Any] | None:
        entry = self._entries.get(key)
        if entry is None or entry[2] < time.monotonic():
            return None
        return entry[0], entry[1]

    def put(self, key: str, user: Any, token: Any, ttl: float) -> None:
        with self._lock:
            if len(self._entries) >= MAX_TOKENS:
                self._entries.clear()
            self._entries[key] = (user, token, time.monotonic() + ttl)

    def clear(self, **_: Any) -> None:
        """Forget every token (also a signal receiver: any token or user change)."""
        with self._lock:
            self._entries.clear()


token_cache = TokenCache()


class TokenFailures:
    """When each client address last sent wrong tokens, within the window; safe to share between threads."""

    def __init__(self) -> None:
        self._failures: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    def wait(self, address: str, *, limit: int, window: float) -> float | None:
        """Seconds until ``address`` may try a token again, or None when it may now."""
        now = time.monotonic()
        recent = [moment for moment in self._failures.get(address, ()) if moment > now - window]
        if len(recent) < limit:
            return None
        return recent[-limit] + window - now

    def record(self, address: str, *, window: float) -> None:
        now = time.monotonic()
        with self._lock:
            if len(self._failures) >= MAX_TOKENS and address not in self._failures:
                self._failures.clear()
            recent = [moment for moment in self._failures.get(address, ()) if moment > now - window]
            self._failures[address] = [*recent, now]

    def clear(self) -> None:
        with self._lock:
            self._failures.clear()


token_failures = TokenFailures()


class CachedTokenAuthentication(TokenAuthentication):
    """``Authorization: Token <key>``, checked against the database at most every few seconds per process."""

    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        # The WSGI environ of the request, read directly: DRF's Request reaches it through
        # __getattr__ on every access, and DRF's own header lookup builds every header.
        meta = request._request.META
        address = meta.get("REMOTE_ADDR", "")
        authorization = meta.get("HTTP_AUTHORIZATION", b"")
        if isinstance(authorization, str):
            authorization = authorization.encode(HTTP_HEADER_ENCODING)
        window = settings.API_TOKEN_FAILURE_WINDOW
        wait = token_failures.wait(address, limit=settings.API_TOKEN_FAILURE_LIMIT, window=window)
        if wait is not None and self.keyword.encode() in authorization:
            raise Throttled(
                wait=wait, detail=f"Too many wrong API tokens from this address; try again in {wait:.0f} s."
            )
        try:
            return self.authenticate_authorization(authorization)
        except AuthenticationFailed:
            token_failures.record(address, window=window)
            raise

    def authenticate_authorization(self, authorization: bytes) -> tuple[Any, Any] | None:
        """DRF's ``TokenAuthentication.authenticate`` on the header's value, with DRF's messages."""
        parts = authorization.split()
        if not parts or parts[0].lower() != self.keyword.lower().encode():
            return None
        if len(parts) == 1:
            raise AuthenticationFailed(_("Invalid token header. No credentials provided."))
        if len(parts) > 2:
            raise AuthenticationFailed(_("Invalid token header. Token string should not contain spaces."))
        try:
            key = parts[1].decode()
        except UnicodeError:
            raise AuthenticationFailed(
                _("Invalid token header. Token string should not contain invalid characters.")
            ) from None
        return self.authenticate_credentials(key)

    def authenticate_credentials(self, key: str) -> tuple[Any, Any]:
        ttl = settings.API_TOKEN_CACHE_SECONDS
        if ttl <= 0:
            return super().authenticate_credentials(key)
        hit = token_cache.get(key)
        if hit is not None:
            return hit
        user, token = super().authenticate_credentials(key)  # raises AuthenticationFailed
        token_cache.put(key, user, token, ttl)
        return user, token


def forget_tokens_on_account_changes() -> None:
    """Clear the cache when a token, a user or a user's groups or permissions change here.

    Called from ``BridgeConfig.ready``, once the models exist.
    """
    from rest_framework.authtoken.models import Token

    user_model = get_user_model()
    for signal in (post_save, post_delete):
        for model in (Token, user_model):
            signal.connect(token_cache.clear, sender=model, weak=False, dispatch_uid=f"token-cache-{model.__name__}")
    for relation in (user_model.groups.through, user_model.user_permissions.through):
        m2m_changed.connect(token_cache.clear, sender=relation, weak=False, dispatch_uid=f"token-cache-{relation}")
