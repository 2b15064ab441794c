"""The synchronous half of the bridge: decode, validate, call the site's handler.

These functions run in worker threads, never on the event loop, and know nothing about
NATS connections, so tests can call them directly.
"""

from __future__ import annotations

import logging
import re
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import orjson
from django.db import DatabaseError, InterfaceError, OperationalError, close_old_connections
from rest_framework.exceptions import ValidationError
from rest_framework.serializers import Serializer

from bridge.routes import Event, Meta, Reply
from natswire.envelope import Incoming, decode, encode_error, encode_reply
from natswire.errors import HandlerError, InvalidPayload, PayloadTooLarge
from natswire.tracing import trace_id_var
from sitekit.database import is_connection_error
from sitekit.validation import QuickValidation

logger = logging.getLogger("bridge.dispatch")
T = TypeVar("T")

# Events published without an id get one derived from their place in the stream, so a
# redelivery of the same message still maps onto the same row.
_EVENT_NAMESPACE = uuid.UUID("6f1c1f43-5d2a-4c36-9a0e-3c2b4a7e9d10")

# What an Idempotency-Key may be: printable ASCII, short enough for any key column. A NUL
# or a 10 kB key would otherwise reach the database and fail the whole batch it came in.
MAX_IDEMPOTENCY_KEY = 200
_IDEMPOTENCY_KEY = re.compile(rf"^[\x20-\x7e]{{1,{MAX_IDEMPOTENCY_KEY}}}$")


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


class Validator:
    """Validates payloads with one serializer instance: the serializer's own rules, built once.

    ``Serializer(data=...).is_valid()`` deep-copies every field for each payload, which was
    most of the cost of validating a batch; ``run_validation`` on one instance applies the
    same fields and validators. Only for serializers without per-object state (no
    ``instance``, no ``partial``), which payload serializers are; an instance is used by
    one thread only (one per batch, or one per thread in ``validate``). A payload is first
    tried on ``sitekit.validation.QuickValidation``, which accepts what DRF accepts without
    DRF's per-field machinery; any refusal is DRF's, worded by DRF.
    """

    def __init__(self, serializer_class: type[Serializer]) -> None:
        self.serializer = serializer_class()
        self.quick = QuickValidation(self.serializer)

    def __call__(self, data: Any) -> dict[str, Any]:
        """The validated data, or ``InvalidPayload`` with field errors."""
        if not isinstance(data, dict):
            raise InvalidPayload("Payload must be a JSON object")
        validated = self.quick(data)  # what DRF would accept, at a third of the cost; None: DRF decides
        if validated is not None:
            return validated
        try:
            return dict(self.serializer.run_validation(data))
        except ValidationError as error:
            # A list's errors are keyed by index (an int), which JSON writes as a string.
            errors = orjson.loads(orjson.dumps(error.detail, option=orjson.OPT_NON_STR_KEYS))
            raise InvalidPayload("Invalid payload", errors=errors) from None


_validators = threading.local()


def validate(serializer_class: type[Serializer], data: Any) -> dict[str, Any]:
    """The serializer's validated data, or ``InvalidPayload`` with field errors.

    Each thread keeps one ``Validator`` per serializer class: a reply validated on every
    create no longer pays for building the serializer's fields (about 0.1 ms) each time.
    """
    validators = getattr(_validators, "by_class", None)
    if validators is None:
        validators = _validators.by_class = {}
    validator = validators.get(serializer_class)
    if validator is None:
        validator = validators[serializer_class] = Validator(serializer_class)
    return validator(data)


def check_size(route: Reply | Event, raw: bytes) -> None:
    """Refuse a body larger than its route accepts (413), before a byte of it is parsed."""
    if len(raw) > route.max_payload:
        raise PayloadTooLarge(f"Payload of {len(raw)} bytes exceeds the limit of {route.max_payload} bytes")


def check_meta(meta: Meta) -> None:
    """Refuse headers the handler could not store, such as an Idempotency-Key with a NUL."""
    key = meta.idempotency_key
    if key is not None and not _IDEMPOTENCY_KEY.match(key):
        message = f"Must be 1 to {MAX_IDEMPOTENCY_KEY} printable ASCII characters."
        raise InvalidPayload("Invalid Idempotency-Key header", errors={"Idempotency-Key": [message]})


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


def refuse_oversized(route: Reply, raw: bytes) -> Answer | None:
    """The 413 answer for a body over the route's limit, or None when its size is fine."""
    try:
        check_size(route, raw)
    except PayloadTooLarge as error:
        return _refusal(route, None, error)
    return None


def answer_request(route: Reply, raw: bytes, meta: Meta) -> Answer:
    """Answer one request: never raises, every failure becomes an error reply."""
    return answer_batch(route, [(raw, meta)])[0]


def answer_batch(route: Reply, requests: list[tuple[bytes, Meta]]) -> list[Answer]:
    """Answer requests that arrived together; never raises.

    Each request is decoded and validated on its own, so one bad payload costs only its own
    error reply. The valid ones go to the route's batch handler in one call, or to its
    handler one by one.
    """
    answers: list[Answer | None] = [None] * len(requests)
    valid: list[tuple[int, Incoming, dict[str, Any], Meta]] = []
    validate_payload = Validator(route.serializer)
    for index, (raw, meta) in enumerate(requests):
        trace_id_var.set(meta.trace_id)
        incoming: Incoming | None = None
        try:
            check_size(route, raw)
            incoming = decode(raw)
            check_meta(meta)
            valid.append((index, incoming, validate_payload(incoming.data), meta))
        except HandlerError as error:
            answers[index] = _refusal(route, incoming, error)
        except Exception as error:  # a crash while validating costs this request a 500, not the batch
            answers[index] = _refusal(route, incoming, _internal_error(route, error))
    items = [(payload, meta) for _, _, payload, meta in valid]
    if route.batch_handler is not None:
        results = _call_batch(route, items) if items else []
    else:
        results = [_call(route, payload, meta) for payload, meta in items]
    for (index, incoming, _, _), result in zip(valid, results, strict=True):
        if isinstance(result, HandlerError):
            answers[index] = _refusal(route, incoming, result)
        else:
            answers[index] = Answer(encode_reply(incoming, result))
    return answers


def _call_batch(route: Reply, items: list[tuple[dict[str, Any], Meta]]) -> list[Any]:
    """The batch handler's results; when it fails, each request is tried on its own.

    The batch ran in one transaction, so nothing of it was kept: trying each request alone
    gives the one the database refuses its own error, and every other request its answer.
    A lost database fails every request alike, so that is answered at once (503).
    """
    try:
        return route.batch_handler(items)
    except Exception as error:
        failure = error if isinstance(error, HandlerError) else _internal_error(route, error)
        if len(items) == 1 or failure.status == 503:
            return [failure] * len(items)
    return [_call_batch(route, [item])[0] for item in items]


def _call(route: Reply, payload: dict[str, Any], meta: Meta) -> Any:
    trace_id_var.set(meta.trace_id)
    try:
        return route.handler(payload, meta)
    except HandlerError as error:
        return error
    except Exception as error:
        return _internal_error(route, error)


def _internal_error(route: Reply, error: Exception) -> HandlerError:
    """A 503 when the database is out of reach (callers retry), else a 500."""
    if isinstance(error, DatabaseError) and is_connection_error(error):
        logger.error("%s: database unavailable: %s", route.subject, error)
        return HandlerError("Database unavailable; try again shortly", status=503)
    logger.exception("%s failed", route.subject)
    return HandlerError("Internal error while handling the request")


def _refusal(route: Reply, incoming: Incoming | None, error: HandlerError) -> Answer:
    if error.status < 500:
        logger.warning("%s refused: %s %s", route.subject, error.message, error.errors or "")
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
    validate_payload = Validator(route.serializer)
    for index, event in enumerate(events):
        try:
            check_size(route, event.data)
            data = decode(event.data).data
            if isinstance(data, dict) and data.get(route.id_field) in (None, ""):
                data = {**data, route.id_field: event.msg_id or _derived_id(route, event)}
            valid.append((index, validate_payload(data)))
        except InvalidPayload as error:
            detail = orjson.dumps(error.errors).decode() if error.errors else ""
            rejected.append(Rejected(index, f"{error.message} {detail}".strip()))
        except Exception as error:  # a crash while validating parks this event, not the batch
            logger.exception("%s: validating an event failed", route.subject)
            rejected.append(Rejected(index, f"Could not be validated: {type(error).__name__}: {error}"))
    return valid, rejected


def store_events(route: Event, payloads: list[dict[str, Any]]) -> list[Rejected]:
    """Hand validated payloads to the site's handler; returns the events it can never store.

    The batch is one transaction. When the database is out of reach (or a deadlock, or any
    other failure worth retrying) this raises, and the batch comes back later. When the
    database refuses the batch for good, each event is stored on its own so one bad event
    cannot hold back the others; the ones refused again are returned, to be parked.
    """
    if not payloads:
        return []
    try:
        route.handler(payloads)
        return []
    except Exception as error:
        if _worth_retrying(error):
            raise
        if len(payloads) == 1:
            logger.error("%s: event refused by the database: %s", route.subject, error)
            return [Rejected(0, f"Could not be stored: {type(error).__name__}: {error}")]
    refused = []
    for index, payload in enumerate(payloads):
        refused += [Rejected(index, rejection.reason) for rejection in store_events(route, [payload])]
    return refused


def _worth_retrying(error: Exception) -> bool:
    """Whether a failed store may succeed later unchanged (a lost connection, a deadlock)."""
    if isinstance(error, OperationalError | InterfaceError):
        return True
    return isinstance(error, DatabaseError) and is_connection_error(error)


def _derived_id(route: Event, event: EventIn) -> str:
    return str(uuid.uuid5(_EVENT_NAMESPACE, f"{route.stream}:{event.stream_sequence}"))
