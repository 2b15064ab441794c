"""Outbox services: enqueue in the caller's transaction, claim, and settle each send.

``outbox_settle`` is the one place that decides what a send's result means for its message
(applied, refused for good, or tried again later), for the web process that sends a message
right after its commit and for the bridge's relay alike.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connections, router, transaction
from django.utils import timezone

from bridge.dispatch import validate
from bridge.outbox.models import OutboxMessage
from bridge.routes import RouteTable
from natswire.errors import BridgeError, InvalidPayload, RemoteError
from sitekit.inserts import insert_new

logger = logging.getLogger("bridge.outbox")

MAX_BACKOFF_SECONDS = 30.0
DELIVERED, FAILED, PENDING = "delivered", "failed", "pending"


def lease_duration() -> timedelta:
    """How long a claimed or just-sent message is left alone: long enough for its answer to arrive."""
    return timedelta(seconds=settings.NATS_REQUEST_TIMEOUT * 3)


def outbox_first_attempt_due() -> datetime:
    """When the relay may first send a new message: the caller sends it itself before then."""
    return timezone.now() + lease_duration()


def outbox_enqueue(
    *, subject: str, payload: dict[str, Any], key: str, trace_id: str = "", relay_at: datetime | None = None
) -> OutboxMessage:
    """Store a request to send; call inside the transaction that makes it necessary.

    The first attempt is left to the caller (right after commit); the relay only takes a
    message whose lease has run out, so the two rarely race, and when they do the peer's
    idempotency makes the second send harmless. A caller that leaves the first attempt to
    the relay (a bridge's scheduled handler) says when it may send it: ``relay_at``.
    """
    return OutboxMessage.objects.create(
        subject=subject,
        payload=payload,
        key=key,
        trace_id=trace_id,
        next_attempt_at=relay_at or outbox_first_attempt_due(),
    )


def outbox_announce(*, subject: str, payload: dict[str, Any], key: str, trace_id: str = "") -> OutboxMessage | None:
    """Store an event to publish (an ``Announce`` route's subject); call inside the transaction that causes it.

    ``key`` names the event once and for all: announcing it again stores nothing (None), and
    it is the ``Nats-Msg-Id`` the stream de-duplicates by. The relay publishes it at once.
    """
    message = OutboxMessage(
        subject=subject, payload=payload, key=key, trace_id=trace_id, next_attempt_at=timezone.now()
    )
    inserted = insert_new(OutboxMessage, [message], unique_field="key")
    return inserted[0] if inserted else None


def outbox_published_many(*, outcomes: list[tuple[OutboxMessage, Exception | None]]) -> list[str]:
    """Record publishes of announced events, the acknowledged ones in one statement; their states, in order."""
    published = [message.pk for message, error in outcomes if error is None]
    if published:
        OutboxMessage.objects.filter(pk__in=published, delivered_at__isnull=True).update(
            delivered_at=timezone.now(), last_error=""
        )
    for message, error in outcomes:
        if error is not None:
            outbox_retry_later(message_id=message.pk, error=str(error) or type(error).__name__)
    return [DELIVERED if error is None else PENDING for _, error in outcomes]


@transaction.atomic
def outbox_complete(*, table: RouteTable, message: OutboxMessage, reply: Any) -> Any:
    """Mark the message delivered and apply the reply with the site's ``on_reply``, atomically.

    The reply is checked by the route's ``reply_serializer`` first (``InvalidPayload`` when it
    does not pass, and nothing is marked). Returns what ``on_reply`` returned, or None when
    the reply was not applied here: already applied by a concurrent send, or withdrawn (its
    subject was deleted). The UPDATE takes the row lock a concurrent send waits on, and
    matches nothing once that send committed, so a reply is applied once, in one round trip
    instead of a locking read and a write.
    """
    route = table.outbox(message.subject)
    valid = validate(route.reply_serializer, reply)
    if not _mark_delivered(message.pk):
        return None
    return route.on_reply(valid, key=message.key) if route.keyed else route.on_reply(valid)


def _mark_delivered(message_id: int) -> bool:
    """``UPDATE ... SET delivered_at = now WHERE id = %s AND delivered_at IS NULL``; True when it matched.

    Written out rather than built by the ORM: this runs on every create, and compiling the
    queryset cost as much CPU as the round trip.
    """
    connection = connections[router.db_for_write(OutboxMessage)]
    quote = connection.ops.quote_name
    table, delivered_at = quote(OutboxMessage._meta.db_table), quote("delivered_at")
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET {delivered_at} = %s, {quote('last_error')} = '' "
            f"WHERE {quote('id')} = %s AND {delivered_at} IS NULL",
            [connection.ops.adapt_datetimefield_value(timezone.now()), message_id],
        )
        return cursor.rowcount == 1


def outbox_retry_later(*, message_id: int, error: str) -> None:
    """Record a transient failure and push the next attempt back exponentially."""
    message = OutboxMessage.objects.filter(pk=message_id).first()
    if message is None:
        return
    delay = min(MAX_BACKOFF_SECONDS, 0.5 * 2 ** min(message.attempts, 8))
    OutboxMessage.objects.filter(pk=message_id, delivered_at__isnull=True).update(
        last_error=error[:2000], next_attempt_at=timezone.now() + timedelta(seconds=delay)
    )


@transaction.atomic
def outbox_fail(*, table: RouteTable, message_id: int, error: str) -> None:
    """The peer refused the request for good: record it and tell the site once."""
    message = OutboxMessage.objects.select_for_update().filter(pk=message_id).first()
    if message is None or message.delivered_at or message.failed_at:
        return
    message.failed_at = timezone.now()
    message.last_error = error[:2000]
    message.save(update_fields=["failed_at", "last_error"])
    logger.error("outbox %s %s refused for good: %s", message.subject, message.key, error)
    route = table.outbox(message.subject)
    if route.on_failure is None:
        return
    if route.keyed:
        route.on_failure(message.payload, error, key=message.key)
    else:
        route.on_failure(message.payload, error)


def outbox_backlog() -> int:
    """How many messages wait to be delivered."""
    return OutboxMessage.objects.filter(delivered_at__isnull=True, failed_at__isnull=True).count()


@dataclass(frozen=True, slots=True)
class Delivery:
    """What became of one send of a message."""

    state: str  # DELIVERED, FAILED (refused for good) or PENDING (to be sent again)
    applied: Any = None  # what the route's ``on_reply`` returned, when this send applied the reply
    reason: str = ""  # why it was not delivered


def delivery_outcome(error: Exception | None) -> str:
    """What a send's result means for its message: DELIVERED, FAILED or PENDING.

    An answer is applied. A 4xx error reply will not change on retry: the message fails for
    good. Anything else (no responder, a timeout, a 5xx, a reply the route's serializer
    refuses) may change, so the message is sent again later.
    """
    if error is None:
        return DELIVERED
    if isinstance(error, RemoteError) and error.is_permanent:
        return FAILED
    return PENDING


def outbox_settle(
    *, table: RouteTable, message: OutboxMessage, reply: Any = None, error: Exception | None = None
) -> Delivery:
    """Record the result of sending ``message``: the ``reply`` it got, or the ``error`` it met."""
    if error is None:
        try:
            return Delivery(DELIVERED, outbox_complete(table=table, message=message, reply=reply))
        except InvalidPayload as invalid:
            logger.error("%s reply for %s refused by its serializer: %s", message.subject, message.key, invalid.errors)
            error = invalid
    reason = f"{error} {error.errors}" if getattr(error, "errors", None) else str(error)
    if delivery_outcome(error) == FAILED:
        outbox_fail(table=table, message_id=message.pk, error=reason)
        return Delivery(FAILED, reason=reason)
    outbox_retry_later(message_id=message.pk, error=reason)
    return Delivery(PENDING, reason=reason)


def outbox_deliver_now(*, message: OutboxMessage, timeout: float | None = None) -> Delivery:
    """Try to deliver a just-committed message from the current (web) process.

    Whatever goes wrong leaves the message pending for the relay in the bridge process; it
    is never an error for the caller.
    """
    from bridge.client import get_client  # the client pulls in NATS; keep it out of model imports
    from bridge.routes import load_routes

    table = load_routes()
    reply, error = None, None
    try:
        reply = get_client().request(
            message.subject,
            message.payload,
            timeout=timeout,
            idempotency_key=message.key,
            wire=table.outbox(message.subject).wire,
        )
    except BridgeError as failure:
        error = failure
        if not isinstance(failure, RemoteError):
            logger.warning("%s for %s left to the outbox relay: %s", message.subject, message.key, failure)
    try:
        return outbox_settle(table=table, message=message, reply=reply, error=error)
    except Exception:  # e.g. the database went away meanwhile: the relay will try again
        logger.exception("%s for %s could not be settled; left to the outbox relay", message.subject, message.key)
        return Delivery(PENDING)
