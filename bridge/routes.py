"""A site's subject table: which NATS subject goes to which plain Django function.

Like a URLconf, each site lists its routes in one module (``BRIDGE_ROUTES`` in settings)
and the bridge refuses to start on a duplicate or malformed entry.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib import import_module
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from rest_framework.serializers import Serializer

from natswire.envelope import PLAIN, WIRES, nest_route

_SUBJECT = re.compile(r"^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$")
_NAME = re.compile(r"^[A-Za-z0-9_-]+$")

# Bytes a message body may have unless its route says otherwise. Far above any valid
# request or event (a name is at most 200 characters), far below the server's 1 MiB.
DEFAULT_MAX_PAYLOAD = 64 * 1024


@dataclass(frozen=True, slots=True)
class Meta:
    """What a handler may want to know about the message besides its payload."""

    subject: str
    trace_id: str
    idempotency_key: str | None = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class Reply:
    """Request-reply, answered once per queue group.

    Give ``handler(payload, meta) -> dict`` to handle requests one at a time, or
    ``batch_handler([(payload, meta), ...]) -> [dict, ...]`` to handle the requests that
    arrive together in one call (one transaction, one thread hop): under load that is what
    makes a replica fast.
    """

    subject: str
    serializer: type[Serializer]
    queue: str
    handler: Callable[[dict[str, Any], Meta], dict[str, Any]] | None = None
    batch_handler: Callable[[list[tuple[dict[str, Any], Meta]]], list[dict[str, Any]]] | None = None
    max_batch: int = 256
    max_payload: int = DEFAULT_MAX_PAYLOAD
    description: str = ""
    # More subjects answered by the same handler, in the same queue group: for example
    # ``{"cmd":"workflows.create"}``, where NestJS's ``send({cmd: 'workflows.create'}, ...)`` asks.
    aliases: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if (self.handler is None) == (self.batch_handler is None):
            raise ImproperlyConfigured(f"{self.subject}: give exactly one of handler and batch_handler")

    @property
    def subjects(self) -> tuple[str, ...]:
        """Every subject this route answers: its own first, then its aliases."""
        return (self.subject, *self.aliases)


@dataclass(frozen=True)
class Event:
    """A durable event stream: ``handler(payloads) -> None`` stores a batch in one transaction.

    Events are read from a JetStream stream through a durable consumer shared by every
    replica, so each event is handled by one replica and acknowledged after the commit.
    """

    subject: str
    handler: Callable[[list[dict[str, Any]]], None]
    serializer: type[Serializer]
    stream: str
    stream_subjects: tuple[str, ...]
    durable: str
    id_field: str = "id"
    batch_size: int = 500
    max_deliver: int = 20
    dead_letter_subject: str = ""
    max_payload: int = DEFAULT_MAX_PAYLOAD
    # The stream parking this route's dead letters; default ``<stream>_DEAD_LETTER``. Two
    # routes reading one stream need one each, as a stream's subjects are set by one route.
    dead_letter_stream: str = ""

    @property
    def dead_letter_stream_name(self) -> str:
        """The stream that holds this route's dead letters."""
        return self.dead_letter_stream or f"{self.stream}_DEAD_LETTER"


@dataclass(frozen=True, kw_only=True)
class Outbox:
    """Requests queued in the site's outbox table for ``subject``, and what to do with the answer.

    Each reply is checked by ``reply_serializer``, as every route's payload is checked by its
    serializer; ``on_reply(valid_reply)`` then runs in a transaction (what it returns is
    handed to a web process that sent the request itself); ``on_failure(payload, error)``
    runs once the request is refused for good (a 4xx answer). ``wire`` is how the peer wants
    its requests (``plain``, ``nestjs`` or ``nestjs-object``, see natswire/envelope.py): the web
    process and the outbox relay both send that way. With ``keyed``, both are also given the
    request's idempotency key (``key=``), for replies that do not name what they answer.
    """

    subject: str
    reply_serializer: type[Serializer]
    on_reply: Callable[..., Any]
    on_failure: Callable[..., None] | None = None
    wire: str = PLAIN
    keyed: bool = False

    def __post_init__(self) -> None:
        if self.wire not in WIRES:
            raise ImproperlyConfigured(f"{self.subject}: wire {self.wire!r} is not one of {', '.join(WIRES)}")


@dataclass(frozen=True, kw_only=True)
class Announce:
    """A durable event this site publishes through its outbox onto a JetStream stream.

    ``outbox_announce`` stores the event with the change that causes it, in one transaction;
    the bridge's relay publishes it with ``Nats-Msg-Id`` = its outbox key (the stream drops a
    repeat) and marks it delivered once JetStream acknowledges it. A site down or NATS away
    only delays it. ``serializer`` is the event's shape, for the AsyncAPI document's check.
    """

    subject: str
    serializer: type[Serializer]
    stream: str
    stream_subjects: tuple[str, ...]
    description: str = ""


@dataclass(frozen=True)
class Publish:
    """A subject this site publishes to; listed so the contract is visible in one place."""

    subject: str
    description: str = ""


@dataclass(frozen=True, kw_only=True)
class Every:
    """A handler the bridge runs on a schedule: at start, then every ``seconds`` (e.g. ending timed shelves).

    Whatever it acts on must be in the database, not in the process: every replica runs it,
    so it must be safe to run twice at once, and a deadline that passed while every process
    was down is then acted on at the next start. A run that fails is logged and counted; the
    next runs at its time.
    """

    name: str
    seconds: float
    handler: Callable[[], Any]
    description: str = ""

    def __post_init__(self) -> None:
        if not _NAME.match(self.name):
            raise ImproperlyConfigured(f"schedule name {self.name!r} must be letters, digits, - or _")
        if self.seconds <= 0:
            raise ImproperlyConfigured(f"schedule {self.name}: seconds must be more than 0, not {self.seconds}")


Route = Reply | Event | Outbox | Announce | Publish


class RouteTable:
    """The validated routes of one site, served by one micro service name, and its scheduled handlers."""

    def __init__(
        self,
        *,
        service: str,
        version: str,
        routes: Sequence[Route],
        description: str = "",
        schedules: Sequence[Every] = (),
    ):
        if not _NAME.match(service):
            raise ImproperlyConfigured(f"service name {service!r} must be letters, digits, - or _")
        seen: set[tuple[type, str]] = set()
        for route in routes:
            if not _SUBJECT.match(route.subject):
                raise ImproperlyConfigured(f"malformed subject {route.subject!r} in {service} routes")
            for alias in getattr(route, "aliases", ()):
                if not (_SUBJECT.match(alias) or is_nest_object_subject(alias)):
                    raise ImproperlyConfigured(
                        f"malformed alias {alias!r} of {route.subject} in {service} routes: give a subject, "
                        'or a NestJS object pattern exactly as NestJS sends it, e.g. {"cmd":"workflows.create"}'
                    )
            for subject in getattr(route, "subjects", (route.subject,)):
                key = (type(route), subject)
                if key in seen:
                    raise ImproperlyConfigured(f"subject {subject!r} is routed twice in {service}")
                seen.add(key)
        self.service = service
        self.version = version
        self.description = description
        self.routes = tuple(routes)
        names = [schedule.name for schedule in schedules]
        if len(set(names)) < len(names):
            raise ImproperlyConfigured(f"a schedule name is given twice in {service}: {', '.join(names)}")
        self.schedules = tuple(schedules)

    def of_kind(self, kind: type) -> list[Any]:
        """The routes of one kind (``Reply``, ``Event``, ``Outbox``, ``Announce`` or ``Publish``)."""
        return [route for route in self.routes if isinstance(route, kind)]

    def outbox(self, subject: str) -> Outbox:
        """The outbox route for ``subject``; an unknown subject is a programming error."""
        for route in self.of_kind(Outbox):
            if route.subject == subject:
                return route
        raise ImproperlyConfigured(f"no Outbox route for {subject!r} in {self.service}")

    def announce(self, subject: str) -> Announce | None:
        """The announced event on ``subject``, or None when ``subject`` is an outbox request."""
        return next((route for route in self.of_kind(Announce) if route.subject == subject), None)

    @property
    def relays(self) -> bool:
        """Whether this site has outbox messages for a relay to send."""
        return bool(self.of_kind(Outbox) or self.of_kind(Announce))


def is_nest_object_subject(subject: str) -> bool:
    """Whether ``subject`` is a NestJS object pattern as NestJS writes it, e.g. ``{"cmd":"workflows.create"}``.

    Only flat objects of subject-like strings: they stay valid NATS subjects (no spaces, no
    wildcard tokens), and only the exact text NestJS sends can ever match a request.
    """
    try:
        pattern = json.loads(subject)
    except ValueError:
        return False
    return (
        isinstance(pattern, dict)
        and bool(pattern)
        and all(_NAME.match(key) and isinstance(value, str) and _SUBJECT.match(value) for key, value in pattern.items())
        and nest_route(pattern) == subject
    )


def load_routes() -> RouteTable:
    """The site's table, from the module named by ``settings.BRIDGE_ROUTES``."""
    module = import_module(settings.BRIDGE_ROUTES)
    table = getattr(module, "ROUTES", None)
    if not isinstance(table, RouteTable):
        raise ImproperlyConfigured(f"{settings.BRIDGE_ROUTES}.ROUTES must be a RouteTable")
    return table
