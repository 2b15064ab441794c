"""NATS for synchronous Django code (views, services): one long-lived connection per process.

The connection lives on a private event-loop thread, created on first use (in a
web server's worker, never before it forks). Each call hops onto that loop and waits with a timeout, so a
view never opens a connection per request and never hangs on a silent peer.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

import orjson
from django.conf import settings
from django.core.signals import setting_changed
from nats.aio.client import Client

from natswire.connection import connect, redact_url, request_headers, send_request
from natswire.errors import NatsTimeout, NatsUnavailable
from natswire.tracing import TRACE_HEADER, current_trace_id


class SyncNatsClient:
    """A thread-safe, blocking facade over one asyncio NATS connection."""

    def __init__(self, url: str, *, name: str, user: str = "", password: str = "") -> None:
        self.url = url
        self.name = name
        self.user = user
        self._password = password
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._nc: Client | None = None
        self._connecting = asyncio.Lock()
        self._pid = 0

    def request(
        self,
        subject: str,
        payload: Any,
        *,
        timeout: float | None = None,
        idempotency_key: str | None = None,
        wire: str | None = None,
    ) -> Any:
        """Send a request and return the decoded reply.

        Raises ``NatsUnavailable`` (no server or no responder), ``NatsTimeout`` or
        ``RemoteError`` (the service answered with an error).
        """
        timeout = timeout or settings.NATS_REQUEST_TIMEOUT
        headers = request_headers(trace_id=current_trace_id(), idempotency_key=idempotency_key)
        coroutine = self._with_connection(
            lambda nc: send_request(
                nc, subject, payload, timeout=timeout, headers=headers, wire=wire or settings.NATS_PEER_WIRE
            )
        )
        return self._run(coroutine, timeout + 2.0)

    def publish(self, subject: str, payload: Any, *, headers: dict[str, str] | None = None) -> None:
        """Publish a core NATS message (fire and forget once flushed to the socket buffer)."""
        all_headers = {TRACE_HEADER: current_trace_id(), **(headers or {})}
        body = orjson.dumps(payload)
        self._run(self._with_connection(lambda nc: nc.publish(subject, body, headers=all_headers)), 5.0)

    def ping(self, timeout: float = 1.0) -> None:
        """Round-trip to the server; raises ``NatsUnavailable`` when it cannot be reached."""
        self._run(self._with_connection(lambda nc: nc.flush(timeout=timeout)), timeout + 1.0)

    def close(self) -> None:
        """Drain and close the connection and stop the loop thread (tests, shutdown)."""
        with self._lock:
            loop, nc = self._loop, self._nc
            self._loop = self._nc = None
        if loop is None:
            return
        if nc is not None:
            with contextlib.suppress(Exception):  # closing is best effort
                asyncio.run_coroutine_threadsafe(nc.drain(), loop).result(5)
        loop.call_soon_threadsafe(loop.stop)

    async def _with_connection(self, operation: Any) -> Any:
        if self._nc is None or self._nc.is_closed:
            # Threads making their first calls at once would each connect, and all but the
            # last connection would be left open, unused and never closed.
            async with self._connecting:
                if self._nc is None or self._nc.is_closed:
                    self._nc = await connect(
                        self.url,
                        name=self.name,
                        user=self.user,
                        password=self._password,
                        retry_forever=False,
                        connect_timeout=1.0,
                    )
        if not self._nc.is_connected:
            raise NatsUnavailable(f"NATS connection to {redact_url(self.url)} is down (reconnecting)")
        return await operation(self._nc)

    def _run(self, coroutine: Any, timeout: float) -> Any:
        loop = self._ensure_loop()
        future = asyncio.run_coroutine_threadsafe(coroutine, loop)
        try:
            return future.result(timeout)
        except FutureTimeout:
            future.cancel()
            raise NatsTimeout(f"NATS call did not finish within {timeout}s") from None
        except TimeoutError:
            raise NatsTimeout("NATS call timed out") from None
        except OSError as error:
            raise NatsUnavailable(f"NATS unreachable at {redact_url(self.url)}: {error}") from None

    def _ensure_loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None or self._pid != os.getpid():
                self._pid = os.getpid()
                self._nc = None
                self._loop = asyncio.new_event_loop()
                self._connecting = asyncio.Lock()
                thread = threading.Thread(target=self._loop.run_forever, name="nats-client", daemon=True)
                thread.start()
            return self._loop


_client: SyncNatsClient | None = None
_client_lock = threading.Lock()


def get_client() -> SyncNatsClient:
    """The process-wide client, configured from settings."""
    global _client
    with _client_lock:
        if _client is None:
            _client = SyncNatsClient(
                settings.NATS_URL,
                name=settings.BRIDGE_NAME or settings.ROOT_URLCONF,
                user=settings.NATS_USER,
                password=settings.NATS_PASSWORD,
            )
        return _client


def reset_client() -> None:
    """Close the process-wide client so the next call connects anew (tests change NATS_URL)."""
    global _client
    with _client_lock:
        client, _client = _client, None
    if client is not None:
        client.close()


NATS_SETTINGS = frozenset({"NATS_URL", "NATS_USER", "NATS_PASSWORD"})


def follow_nats_settings() -> None:
    """Reconnect the process-wide client whenever a test overrides where NATS is or who logs in."""

    def on_setting_changed(*, setting: str, **kwargs: Any) -> None:
        if setting in NATS_SETTINGS:
            reset_client()

    setting_changed.connect(on_setting_changed, dispatch_uid="bridge.client.follow_nats_settings")
