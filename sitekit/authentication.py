"""API token authentication that does not cost a database query on every request.

DRF's ``TokenAuthentication`` reads the token and its user (a join, compiled by the ORM)
on each call; on a hot read that lookup was more than half of the web process's CPU. Here
a token that checked out is remembered by this process for ``API_TOKEN_CACHE_SECONDS``
(10 s by default), with its user and so that user's permission cache.

The price, stated in the README: a token deleted, or a user deactivated or given other
permissions, in another process keeps its old rights there for at most that long. In this
process the change applies at once (the signals below forget the cache).
"""

from __future__ import annotations

import threading
import time
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models.signals import m2m_changed, post_delete, post_save
from rest_framework.authentication import TokenAuthentication

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


class CachedTokenAuthentication(TokenAuthentication):
    """``Authorization: Token <key>``, checked against the database at most every few seconds per process."""

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
