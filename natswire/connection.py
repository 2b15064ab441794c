"""Opening NATS connections the same way in every process, with clear logs."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import nats
from nats.aio.client import Client

from natswire.envelope import PLAIN, decode_reply, outgoing_request
from natswire.errors import NatsAuthorizationFailed, NatsTimeout, NatsUnavailable
from natswire.tracing import TRACE_HEADER

logger = logging.getLogger("bridge.nats")

IDEMPOTENCY_HEADER = "Idempotency-Key"


Callback = Callable[..., Awaitable[None]]


def server_list(url: str) -> list[str]:
    """The servers of ``url``: one URL, or a comma-separated list of a cluster's nodes."""
    return [server.strip() for server in url.split(",") if server.strip()]


def split_login(server: str) -> tuple[str, str, str]:
    """A server URL as (scheme, user info or "", address): ``nats://u:p@h:4222`` -> ``nats://``, ``u:p``, ``h:4222``."""
    scheme, separator, rest = server.rpartition("://")
    login, _, address = rest.rpartition("@")
    return f"{scheme}{separator}", login, address


LOGIN_IN_URL = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)(?P<login>[^@/\s,\"']+)@")


def redact_url(text: str) -> str:
    """``text`` (a URL, a cluster's URL list, or a command holding them) with every password masked.

    ``nats://user:secret@host`` becomes ``nats://user:***@host``, a token alone ``***``: safe
    to log, show in an error, or keep in a results file.
    """

    def mask(match: re.Match) -> str:
        user, colon, _ = match["login"].partition(":")
        return f"{match['scheme']}{user}:***@" if colon else f"{match['scheme']}***@"

    return LOGIN_IN_URL.sub(mask, text)


def url_user(url: str) -> str:
    """The user named in ``url``'s first server, if it carries a login (``nats://user:password@host``)."""
    servers = server_list(url)
    user, colon, _ = split_login(servers[0])[1].partition(":") if servers else ("", "", "")
    return user if colon else ""  # a token alone names no user (and must not be shown)


def without_login(url: str) -> str:
    """``url`` with any user and password removed from each server."""
    return ",".join("".join(split_login(server)[::2]) for server in server_list(url))


def inbox_prefix(user: str) -> str:
    """Where replies to this connection's requests arrive.

    Each user gets its own branch of ``_INBOX``, so deploy/nats/auth.conf can let a service
    subscribe to its own replies only, and never read the replies sent to another one.
    """
    return f"_INBOX.{user}" if user else "_INBOX"


def is_authorization_error(error: Exception) -> bool:
    """Whether the server refused the connection's user or password."""
    return isinstance(error, nats.errors.AuthorizationError) or "authorization violation" in str(error).lower()


def authorization_failed(url: str, user: str) -> NatsAuthorizationFailed:
    """The one-line error for a refused login; it names the user, never the password."""
    where = redact_url(url)
    user = user or url_user(url)
    if user:
        return NatsAuthorizationFailed(
            f'NATS authorization failed for user "{user}" at {where}: check NATS_USER and NATS_PASSWORD'
        )
    return NatsAuthorizationFailed(
        f"NATS authorization failed at {where}: the server requires a user (set NATS_USER and NATS_PASSWORD)"
    )


async def open_connection(
    url: str,
    *,
    name: str,
    user: str = "",
    password: str = "",
    connect_timeout: float,
    error_cb: Callback,
    disconnected_cb: Callback | None = None,
    reconnected_cb: Callback | None = None,
    reconnect_time_wait: float = 0.5,
) -> Client:
    """``nats.connect`` as every process of the system calls it: logged in, reconnecting forever.

    A refused user or password raises ``NatsAuthorizationFailed`` at once: nats.py would
    retry it forever (it only reports each refusal to ``error_cb``), and no retry fixes a
    wrong password. Once connected, a refusal on a reconnect goes to ``error_cb`` like any
    other error, since the server may be restarting with new passwords.
    """
    refused = asyncio.get_running_loop().create_future()
    connected = False

    async def on_error(error: Exception) -> None:
        if not connected and is_authorization_error(error):
            if not refused.done():
                refused.set_result(error)
            return
        await error_cb(error)

    connecting = asyncio.ensure_future(
        nats.connect(
            servers=server_list(url),
            name=name,
            user=user or None,
            password=password or None,
            inbox_prefix=inbox_prefix(user or url_user(url)),
            connect_timeout=connect_timeout,
            allow_reconnect=True,
            max_reconnect_attempts=-1,
            reconnect_time_wait=reconnect_time_wait,
            error_cb=on_error,
            disconnected_cb=disconnected_cb,
            reconnected_cb=reconnected_cb,
        )
    )
    try:
        await asyncio.wait({connecting, refused}, return_when=asyncio.FIRST_COMPLETED)
    except asyncio.CancelledError:  # the caller gave up waiting
        connecting.cancel()
        raise
    if not connecting.done():  # refused
        connecting.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await connecting
        raise authorization_failed(url, user)
    nc = connecting.result()
    connected = True
    return nc


async def connect(
    url: str,
    *,
    name: str,
    retry_forever: bool,
    user: str = "",
    password: str = "",
    connect_timeout: float = 2.0,
    closing: Callable[[], bool] = lambda: False,
) -> Client:
    """Connect to NATS as ``user``; keep reconnecting after the first success.

    With ``retry_forever`` (long-running processes) the first connection is retried with a
    clear log line until it works; without it (web processes) a failure raises
    ``NatsUnavailable`` at once so the caller can answer quickly. A refused login raises
    ``NatsAuthorizationFailed`` either way.
    """

    async def on_disconnected() -> None:
        if not closing():
            logger.warning("NATS connection lost; reconnecting")

    attempt = 0
    while True:
        try:
            return await open_connection(
                url,
                name=name,
                user=user,
                password=password,
                connect_timeout=connect_timeout,
                error_cb=_on_error,
                disconnected_cb=on_disconnected,
                reconnected_cb=_on_reconnected,
            )
        except NatsAuthorizationFailed:
            raise
        except Exception as error:  # nats raises several unrelated types here
            if not retry_forever:
                raise NatsUnavailable(f"NATS server unreachable at {redact_url(url)}: {error}") from None
            attempt += 1
            delay = min(5.0, 0.25 * 2**attempt)
            logger.warning("NATS server unreachable at %s (%s); retrying in %.1fs", redact_url(url), error, delay)
            await asyncio.sleep(delay)


async def _on_error(error: Exception) -> None:
    logger.warning("NATS error: %s", error)


async def _on_reconnected() -> None:
    logger.info("NATS connection restored")


def request_headers(*, trace_id: str, idempotency_key: str | None = None) -> dict[str, str]:
    """Headers every request carries."""
    headers = {TRACE_HEADER: trace_id}
    if idempotency_key:
        headers[IDEMPOTENCY_HEADER] = idempotency_key
    return headers


async def send_request(
    nc: Client,
    subject: str,
    payload: Any,
    *,
    timeout: float,
    headers: dict[str, str],
    wire: str = PLAIN,
) -> Any:
    """Send one request for ``subject`` on ``wire`` and return the decoded result; errors become bridge exceptions.

    The wire may change the NATS subject too: ``nestjs-object`` sends on ``{"cmd":"<subject>"}``.
    """
    nats_subject, body = outgoing_request(wire, subject, payload, uuid.uuid4().hex)
    try:
        reply = await nc.request(nats_subject, body, timeout=timeout, headers=headers)
    except nats.errors.NoRespondersError:
        raise NatsUnavailable(f"no service answers {nats_subject}") from None
    except (TimeoutError, nats.errors.TimeoutError):
        raise NatsTimeout(f"{nats_subject} did not answer within {timeout}s") from None
    except (
        nats.errors.ConnectionClosedError,
        nats.errors.ConnectionReconnectingError,
        nats.errors.OutboundBufferLimitError,
    ) as error:
        raise NatsUnavailable(f"NATS connection unavailable: {error}") from None
    return decode_reply(reply.data, reply.headers)
