"""Opening NATS connections the same way in every process, with clear logs."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable
from typing import Any

import nats
import orjson
from nats.aio.client import Client

from bridge.envelope import NESTJS, PLAIN, decode_reply, nest_request
from bridge.errors import NatsTimeout, NatsUnavailable
from bridge.tracing import TRACE_HEADER

logger = logging.getLogger("bridge.nats")

IDEMPOTENCY_HEADER = "Idempotency-Key"


async def connect(
    url: str,
    *,
    name: str,
    retry_forever: bool,
    connect_timeout: float = 2.0,
    closing: Callable[[], bool] = lambda: False,
) -> Client:
    """Connect to NATS; keep reconnecting after the first success.

    With ``retry_forever`` (long-running processes) the first connection is retried with a
    clear log line until it works; without it (web processes) a failure raises
    ``NatsUnavailable`` at once so the caller can answer quickly.
    """

    async def on_disconnected() -> None:
        if not closing():
            logger.warning("NATS connection lost; reconnecting")

    attempt = 0
    while True:
        try:
            return await nats.connect(
                servers=[server.strip() for server in url.split(",") if server.strip()],
                name=name,
                connect_timeout=connect_timeout,
                allow_reconnect=True,
                max_reconnect_attempts=-1,
                reconnect_time_wait=0.5,
                error_cb=_on_error,
                disconnected_cb=on_disconnected,
                reconnected_cb=_on_reconnected,
            )
        except Exception as error:  # nats raises several unrelated types here
            if not retry_forever:
                raise NatsUnavailable(f"NATS server unreachable at {url}: {error}") from None
            attempt += 1
            delay = min(5.0, 0.25 * 2**attempt)
            logger.warning("NATS server unreachable at %s (%s); retrying in %.1fs", url, error, delay)
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
    """Send one request and return the decoded result; errors become bridge exceptions."""
    body = nest_request(subject, payload, uuid.uuid4().hex) if wire == NESTJS else orjson.dumps(payload)
    try:
        reply = await nc.request(subject, body, timeout=timeout, headers=headers)
    except nats.errors.NoRespondersError:
        raise NatsUnavailable(f"no service answers {subject}") from None
    except (TimeoutError, nats.errors.TimeoutError):
        raise NatsTimeout(f"{subject} did not answer within {timeout}s") from None
    except (
        nats.errors.ConnectionClosedError,
        nats.errors.ConnectionReconnectingError,
        nats.errors.OutboundBufferLimitError,
    ) as error:
        raise NatsUnavailable(f"NATS connection unavailable: {error}") from None
    return decode_reply(reply.data, reply.headers)
