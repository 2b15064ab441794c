"""The synchronous half of the bridge: decode, validate, call the site's handler.

These functions run in worker threads, never on the event loop, and know nothing about
NATS connections, so tests can call them directly.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import orjson
from django.db import close_old_connections
from rest_framework.serializers import Serializer

from bridge.envelope import Incoming, decode, encode_error, encode_reply
from bridge.errors import HandlerError, InvalidPayload
from bridge.routes import Event, Meta, Reply

logger = logging.getLogger("bridge.dispatch")
T = TypeVar("T")

# Events published without an id get one derived from their place in the stream, so a
# redelivery of the same message still maps onto the same row.
_EVENT_NAMESPACE = uuid.UUID("6f1c1f43-5d2a-4c36-9a0e-3c2b4a7e9d10")


def with_django_db(function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Call ``function`` with Django's connection hygiene, as a request would have it.

    Stale or broken connections are closed before and after, so a database restart costs
    one failed message instead of poisoning the worker thread for good.
    """
    close_old_connections()
    try:
        return function(*args, **kwargs)
    finally:
        close_old_connections()


def validate(serializer_class: type[Serializer], data: Any) -> dict[str, Any]:
    """The serializer's validated data, or ``InvalidPayload`` with field errors."""
    if not isinstance(data, dict):
        raise InvalidPayload("Payload must be a JSON object")
    serializer = serializer_class(data=data)
    if not serializer.is_valid():
        raise InvalidPayload("Invalid payload", errors=orjson.loads(orjson.dumps(serializer.errors)))
    return dict(serializer.validated_data)


@dataclass(frozen=True, slots=True)
class Answer:
    """A reply ready to send: body, and the micro error headers when it is an error."""

    body: bytes
    error: HandlerError | None = None

    @property
    def headers(self) -> dict[str, str] | None:
        if self.error is None:
            return None
        return {"Nats-Service-Error": self.error.message, "Nats-Service-Error-Code": str(self.error.status)}


def answer_request(route: Reply, raw: bytes, meta: Meta) -> Answer:
    """Answer one request: never raises, every failure becomes an error reply."""
    incoming: Incoming | None = None
    try:
        incoming = decode(raw)
        payload = validate(route.serializer, incoming.data)
        result = route.handler(payload, meta)
        return Answer(encode_reply(incoming, result))
    except HandlerError as error:
        logger.warning("%s refused: %s %s", route.subject, error.message, error.errors or "")
        return Answer(encode_error(incoming, error), error)
    except Exception:
        logger.exception("%s failed", route.subject)
        error = HandlerError("Internal error while handling the request")
        return Answer(encode_error(incoming, error), error)


@dataclass(frozen=True, slots=True)
class EventIn:
    """One event as read from the stream."""

    data: bytes
    msg_id: str | None
    stream_sequence: int


@dataclass(frozen=True, slots=True)
class Rejected:
    """An event that can never be valid, and why."""

    index: int
    reason: str


def parse_events(route: Event, events: list[EventIn]) -> tuple[list[tuple[int, dict]], list[Rejected]]:
    """Split a batch into validated payloads (with their index) and rejected events."""
    valid: list[tuple[int, dict]] = []
    rejected: list[Rejected] = []
    for index, event in enumerate(events):
        try:
            data = decode(event.data).data
            if isinstance(data, dict) and data.get(route.id_field) in (None, ""):
                data = {**data, route.id_field: event.msg_id or _derived_id(route, event)}
            valid.append((index, validate(route.serializer, data)))
        except InvalidPayload as error:
            detail = orjson.dumps(error.errors).decode() if error.errors else ""
            rejected.append(Rejected(index, f"{error.message} {detail}".strip()))
    return valid, rejected


def store_events(route: Event, payloads: list[dict[str, Any]]) -> None:
    """Hand a batch of validated payloads to the site's handler (one transaction there)."""
    if payloads:
        route.handler(payloads)


def _derived_id(route: Event, event: EventIn) -> str:
    return str(uuid.uuid5(_EVENT_NAMESPACE, f"{route.stream}:{event.stream_sequence}"))
