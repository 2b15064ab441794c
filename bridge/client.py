"""NATS for synchronous Django code (views, services): one long-lived connection per process.

In a web process the connection lives on a private event-loop thread, created on first use
(in a web server's worker, never before it forks). Each call hops onto that loop and waits
with a timeout, so a view never opens a connection per request and never hangs on a silent
peer.

In a bridge process the handlers' calls go over the bridge's own connection instead
(``BridgeConnectionClient``, bound by the runner while it serves): no second connection per
process, and no connection made on the first live message a handler publishes, which costs
the server a bcrypt check (about 0.1 s of CPU) while the batch that published waits.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
from collections.abc import Awaitable, Callable
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

import nats.errors
import orjson
from django.conf import settings
from django.core.signals import setting_changed
from nats.aio.client import Client

from natswire.connection import connect, redact_url, request_headers, send_request
from natswire.errors import NatsTimeout, NatsUnavailable
from natswire.tracing import TRACE_HEADER, current_trace_id

Operation = Callable[[Client], Awaitable[Any]]


class BlockingNatsClient:
    """The blocking calls Django code makes; subclasses say which connection and loop run them."""

    url = ""

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
        return self._call(
            lambda nc: send_request(
                nc, subject, payload, timeout=timeout, headers=headers, wire=wire or settings.NATS_PEER_WIRE
            ),
            timeout + 2.0,
        )

    def publish(self, subject: str, payload: Any, *, headers: dict[str, str] | None = None) -> None:
        """Publish a core NATS message (fire and forget once flushed to the socket buffer)."""
        all_headers = {TRACE_HEADER: current_trace_id(), **(headers or {})}
        body = orjson.dumps(payload)
        self._call(lambda nc: nc.publish(subject, body, headers=all_headers), 5.0)

    def ping(self, timeout: float = 1.0) -> None:
        """Round-trip to the server; raises ``NatsUnavailable`` when it cannot be reached."""
        self._call(lambda nc: nc.flush(timeout=timeout), timeout + 1.0)

    def close(self) -> None:
        """Let go of the connection (tests, shutdown)."""

    def _call(self, operation: Operation, timeout: float) -> Any:
        raise NotImplementedError

    def _wait(self, coroutine: Awaitable[Any], loop: asyncio.AbstractEventLoop, timeout: float) -> Any:
        """Run ``coroutine`` on ``loop`` (another thread's) and wait for it; NATS failures as ``BridgeError``."""
        future = asyncio.run_coroutine_threadsafe(coroutine, loop)
        try:
            return future.result(timeout)
        except FutureTimeout:
            future.cancel()
            raise NatsTimeout(f"NATS call did not finish within {timeout}s") from None
        except TimeoutError:
            raise NatsTimeout("NATS call timed out") from None
        except (OSError, nats.errors.ConnectionClosedError, nats.errors.ConnectionDrainingError) as error:
            raise NatsUnavailable(f"NATS unreachable at {redact_url(self.url)}: {error!r}") from None


class SyncNatsClient(BlockingNatsClient):
    """A thread-safe, blocking facade over one asyncio NATS connection of its own."""

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

    def _call(self, operation: Operation, timeout: float) -> Any:
        return self._wait(self._with_connection(operation), self._ensure_loop(), timeout)

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


class BridgeConnectionClient(BlockingNatsClient):
    """The blocking calls of a bridge's worker threads, made over the bridge's own connection on its loop.

    Made on the loop's thread (the runner's ``run``), which must never make these calls itself:
    it would wait for a coroutine only it can run.
    """

    def __init__(self, nc: Client, loop: asyncio.AbstractEventLoop) -> None:
        self.url = nc.connected_url.geturl() if nc.connected_url else ""
        self._nc = nc
        self._loop = loop
        self._loop_thread = threading.get_ident()

    def _call(self, operation: Operation, timeout: float) -> Any:
        if threading.get_ident() == self._loop_thread:
            raise RuntimeError("a blocking NATS call on the bridge's own event loop would wait for itself")
        if self._nc.is_closed or not self._nc.is_connected:
            raise NatsUnavailable(f"NATS connection to {redact_url(self.url)} is down (reconnecting)")
        return self._wait(operation(self._nc), self._loop, timeout)


_client: SyncNatsClient | None = None
_bound: BridgeConnectionClient | None = None
_client_lock = threading.Lock()


def bind_bridge_connection(nc: Client, loop: asyncio.AbstractEventLoop) -> BridgeConnectionClient:
    """Make ``get_client()`` use a bridge's connection until ``unbind_bridge_connection``."""
    global _bound
    with _client_lock:
        _bound = BridgeConnectionClient(nc, loop)
        return _bound


def unbind_bridge_connection(client: BridgeConnectionClient) -> None:
    """``get_client()`` goes back to the process's own connection (when ``client`` is still the bound one)."""
    global _bound
    with _client_lock:
        if _bound is client:
            _bound = None


def get_client() -> BlockingNatsClient:
    """The process-wide client: the bridge's connection in a serving bridge, else one configured from settings."""
    global _client
    with _client_lock:
        if _bound is not None:
            return _bound
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
