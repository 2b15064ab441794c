"""The AsyncAPI document (``docs/asyncapi.yaml``) held against the code it describes.

A contract written by hand drifts the day someone adds a field. These checks read the
site's route table and its DRF serializers and say where the document disagrees: a subject
that is missing, a wrong queue group or kind, a field whose name, type, bounds or choices
differ. ``manage.py checkasyncapi`` runs them for one site; the tests run them for all.

Conventions the checks rely on (all plain AsyncAPI 3.0):

- every route's subject, and every alias of a Reply route, is a channel ``address``; each
  site's operations carry a tag named
  after its route table's ``service``; request-reply operations have a ``reply``;
- the queue group (or durable consumer) is the operation's ``bindings.nats.queue``;
- a JetStream-backed channel says so in ``x-jetstream`` (stream, subjects, durable);
- a component schema lists the serializers that validate or render it in ``x-serializers``
  (``class``; ``direction``: ``request`` for the serializer the bridge validates with,
  ``response`` for one that renders it, ``accepts`` for a consumer's parser, which must take
  every value the document allows; ``optional``: fields the bridge fills in when a publisher
  leaves them out).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import yaml
from django.utils.module_loading import import_string
from jsonschema import Draft7Validator
from referencing import Registry
from referencing.jsonschema import DRAFT7

from bridge.events import DUPLICATE_WINDOW_SECONDS, dead_letter_stream_config
from bridge.routes import Announce, Event, Outbox, Publish, Reply, RouteTable
from bridge.serializer_schema import COMPARED, SHAPE, acceptance_problems, schema_differences, serializer_schema

REPO_ROOT = Path(__file__).resolve().parent.parent
DOCUMENT = REPO_ROOT / "docs" / "asyncapi.yaml"
# The official JSON Schema of AsyncAPI 3.0.0, from the @asyncapi/specs package (Apache-2.0).
META_SCHEMA = REPO_ROOT / "docs" / "schemas" / "asyncapi-3.0.0.json"
_BASE = "urn:asyncapi-document"
_REF_REQUIRED = "'$ref' is a required property"


def load_document(path: Path = DOCUMENT) -> dict[str, Any]:
    """The document as plain data."""
    return yaml.safe_load(path.read_text())


def structure_problems(document: dict[str, Any]) -> list[str]:
    """Where the document breaks the AsyncAPI 3.0.0 specification's own JSON Schema."""
    validator = Draft7Validator(orjson.loads(META_SCHEMA.read_bytes()))
    problems: list[str] = []
    for error in validator.iter_errors(document):
        # A oneOf failure says little; its innermost causes say what is wrong. The "could
        # have been a $ref instead" alternative is noise, since every object may be one.
        leaves = [e for e in [error, *_causes(error)] if not e.context and e.message != _REF_REQUIRED]
        for leaf in leaves or [error]:
            problem = f"{_pointer(leaf.absolute_path)}: {leaf.message[:300]}"
            if problem not in problems:
                problems.append(problem)
    return problems


def resolve(document: dict[str, Any], node: Any) -> Any:
    """``node`` with local ``$ref`` pointers (``#/components/...``) followed."""
    while isinstance(node, dict) and "$ref" in node:
        target: Any = document
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        node = target
    return node


def payload_problems(document: dict[str, Any], message: str, payload: Any, headers: Any = None) -> list[str]:
    """Where ``payload`` (and ``headers``, if given) break ``components.messages[message]``."""
    definition = document["components"]["messages"][message]
    location = f"/components/messages/{message}"
    problems = _validate(document, f"{location}/payload", payload, f"{message} payload")
    if headers is not None and "headers" in definition:
        problems += _validate(document, f"{location}/headers", headers, f"{message} headers")
    return problems


def example_problems(document: dict[str, Any]) -> list[str]:
    """Every documented example must be valid by its own message's schemas."""
    problems = []
    for name, message in document.get("components", {}).get("messages", {}).items():
        for example in message.get("examples", []):
            problems += payload_problems(document, name, example.get("payload"), example.get("headers"))
    return problems


def route_problems(document: dict[str, Any], table: RouteTable) -> list[str]:
    """Where the document disagrees with one site's route table (subjects, kinds, queues, streams)."""
    problems: list[str] = []
    for route in table.routes:
        where = f"{table.service} {type(route).__name__} {route.subject}"
        channel = _channel_at(document, route.subject)
        if channel is None:
            problems.append(f"{where}: no channel has this address")
            continue
        if isinstance(route, Reply):
            problems += _reply_problems(document, table, channel, where, route)
            for alias in route.aliases:
                alias_where = f"{where} alias {alias}"
                alias_channel = _channel_at(document, alias)
                if alias_channel is None:
                    problems.append(f"{alias_where}: no channel has this address")
                else:
                    problems += _reply_problems(document, table, alias_channel, alias_where, route)
        elif isinstance(route, Event):
            queue = route.durable  # a durable consumer shared by replicas: JetStream's queue group
            problems += _operation_problems(document, table, channel, where, "receive", replies=False, queue=queue)
            problems += _message_problems(document, channel, where, route.serializer, optional=(route.id_field,))
            problems += _jetstream_problems(document, channel, route, where, table=table)
            problems += _dead_letter_problems(document, table, route, where)
        elif isinstance(route, Outbox):
            problems += _operation_problems(document, table, channel, where, "send", replies=True)
        elif isinstance(route, Announce):
            problems += _operation_problems(document, table, channel, where, "send", replies=False)
            # Optional fields are the readers' to say (a NestJS sender may leave out the id).
            problems += _message_problems(document, channel, where, route.serializer, optional=None, shapes=("plain",))
            problems += _jetstream_problems(document, channel, route, where, table=table)
        elif isinstance(route, Publish):
            problems += _operation_problems(document, table, channel, where, "send", replies=False)
            # Live fan-out: every subscriber gets every message, so nobody may share a queue group.
            for key, operation in _operations_on(document, channel):
                if queue := _queue(operation):
                    problems.append(f"{where}: operation {key} has queue group {queue!r}; it must have none")
    return problems


def serializer_problems(document: dict[str, Any], package: str, table: RouteTable | None = None) -> list[str]:
    """Where component schemas disagree with the serializers they name in ``x-serializers``.

    Those of ``package`` are checked, and those the routes of ``table`` use from elsewhere (a
    reader shared by several sites, in the site kit).
    """
    used = route_serializer_paths(table) if table is not None else set()
    problems = []
    for name, schema in document.get("components", {}).get("schemas", {}).items():
        for entry in schema.get("x-serializers", []):
            if not entry["class"].startswith(f"{package}.") and entry["class"] not in used:
                continue
            where = f"{name} ({entry['class']})"
            direction = entry["direction"]
            serializer_class = import_string(entry["class"])
            if direction == "accepts":
                parser = serializer_schema(serializer_class, direction="request", optional=entry.get("optional", ()))
                problems += acceptance_problems(parser, resolve(document, schema), where)
                continue
            expected = serializer_schema(serializer_class, direction=direction, optional=entry.get("optional", ()))
            keywords = COMPARED if direction == "request" else SHAPE
            problems += schema_differences(expected, resolve(document, schema), where, keywords=keywords)
    return problems


def route_serializer_paths(table: RouteTable) -> set[str]:
    """The dotted path of every serializer the routes of ``table`` validate or announce with."""
    found = set()
    for route in table.routes:
        for attribute in ("serializer", "reply_serializer"):
            serializer_class = getattr(route, attribute, None)
            if serializer_class is not None:
                found.add(f"{serializer_class.__module__}.{serializer_class.__qualname__}")
    return found


def _channel_at(document: dict[str, Any], address: str) -> str | None:
    """The key of the channel whose address is ``address``."""
    for key, channel in document.get("channels", {}).items():
        if resolve(document, channel).get("address") == address:
            return key
    return None


def _operations_on(document: dict[str, Any], channel: str) -> Iterator[tuple[str, dict[str, Any]]]:
    for key, operation in document.get("operations", {}).items():
        operation = resolve(document, operation)
        if operation.get("channel", {}).get("$ref") == f"#/channels/{channel}":
            yield key, operation


def _tags(document: dict[str, Any], operation: dict[str, Any]) -> set[str]:
    return {resolve(document, tag)["name"] for tag in operation.get("tags", [])}


def _queue(operation: dict[str, Any]) -> str | None:
    return operation.get("bindings", {}).get("nats", {}).get("queue")


def _operation_problems(
    document: dict[str, Any],
    table: RouteTable,
    channel: str,
    where: str,
    action: str,
    *,
    replies: bool,
    queue: str | None = None,
) -> list[str]:
    """The site's operation on the channel must exist with the right action, kind and queue group."""
    kind = "request-reply" if replies else "one-way"
    matching = [
        (key, operation)
        for key, operation in _operations_on(document, channel)
        if table.service in _tags(document, operation)
        and operation.get("action") == action
        and ("reply" in operation) == replies
    ]
    if not matching:
        return [f"{where}: no {kind} '{action}' operation tagged {table.service!r} on channel {channel}"]
    if queue is None:
        return []
    return [
        f"{where}: operation {key} has queue group {_queue(operation)!r}, the route says {queue!r}"
        for key, operation in matching
        if _queue(operation) != queue
    ]


def _reply_problems(document: dict[str, Any], table: RouteTable, channel: str, where: str, route: Reply) -> list[str]:
    """A request-reply subject (the route's own or an alias) is served in the route's queue group, with its schema."""
    problems = _operation_problems(document, table, channel, where, "receive", replies=True, queue=route.queue)
    return problems + _message_problems(document, channel, where, route.serializer, optional=())


def _message_problems(
    document: dict[str, Any],
    channel: str,
    where: str,
    serializer_class: type,
    *,
    optional: tuple[str, ...] | None,
    shapes: tuple[str, ...] = ("plain", "nestjs"),
) -> list[str]:
    """The channel's messages carry the schema the route's serializer validates, in each of ``shapes``.

    What a site receives must be documented plain and NestJS-enveloped (it accepts both);
    what it announces, plain.
    """
    expected_shapes = set(shapes)
    path = f"{serializer_class.__module__}.{serializer_class.__qualname__}"
    problems = []
    shapes_found = set()
    for key, message in resolve(document, document["channels"][channel]).get("messages", {}).items():
        payload = resolve(document, resolve(document, message).get("payload", {}))
        properties = payload.get("properties", {})
        enveloped = "pattern" in properties and "data" in properties
        shapes_found.add("nestjs" if enveloped else "plain")
        schema = resolve(document, properties["data"]) if enveloped else payload
        entries = [entry for entry in schema.get("x-serializers", []) if entry["class"] == path]
        if not entries:
            problems.append(f"{where}: message {key} does not name {path} in x-serializers")
        elif optional is not None and any(sorted(entry.get("optional", [])) != sorted(optional) for entry in entries):
            problems.append(f"{where}: message {key} must list exactly {list(optional)} as optional for {path}")
    for shape in sorted(expected_shapes - shapes_found):
        problems.append(f"{where}: channel {channel} documents no {shape} message")
    return problems


def _jetstream_problems(
    document: dict[str, Any], channel: str, route: Event | Announce, where: str, *, table: RouteTable
) -> list[str]:
    """The stream (and a reader's durable consumer) as the route declares them.

    A channel read by several services names each one's durable in ``durables``
    (service -> durable); one read by a single service may say ``durable``.
    """
    documented = dict(resolve(document, document["channels"][channel]).get("x-jetstream", {}))
    expected = {
        "stream": route.stream,
        "subjects": list(route.stream_subjects),
        "duplicateWindowSeconds": DUPLICATE_WINDOW_SECONDS,
    }
    if isinstance(route, Event):
        documented["durable"] = documented.get("durables", {}).get(table.service, documented.get("durable"))
        expected["durable"] = route.durable
    return [
        f"{where}: x-jetstream {key} is {documented.get(key)!r}, the route says {value!r}"
        for key, value in expected.items()
        if documented.get(key) != value
    ]


def _dead_letter_problems(document: dict[str, Any], table: RouteTable, route: Event, where: str) -> list[str]:
    if not route.dead_letter_subject:
        return []
    channel = _channel_at(document, route.dead_letter_subject)
    if channel is None:
        return [f"{where}: dead-letter subject {route.dead_letter_subject} has no channel"]
    problems = _operation_problems(document, table, channel, f"{where} dead letter", "send", replies=False)
    stream = resolve(document, document["channels"][channel]).get("x-jetstream", {}).get("stream")
    expected = dead_letter_stream_config(route).name
    if stream != expected:
        problems.append(f"{where}: dead-letter stream is {stream!r}, the bridge uses {expected!r}")
    return problems


def _validate(document: dict[str, Any], pointer: str, instance: Any, where: str) -> list[str]:
    """Validate ``instance`` against the schema at ``pointer``, with ``$ref``s resolved in the whole document."""
    registry = Registry().with_resource(_BASE, DRAFT7.create_resource(document))
    validator = Draft7Validator(
        {"$ref": f"{_BASE}#{pointer}"}, registry=registry, format_checker=Draft7Validator.FORMAT_CHECKER
    )
    errors = validator.iter_errors(instance)
    return [f"{where} {_pointer(error.absolute_path)}: {error.message[:300]}" for error in errors]


def _causes(error: Any) -> Iterator[Any]:
    for cause in error.context or []:
        yield cause
        yield from _causes(cause)


def _pointer(path: Any) -> str:
    return "/" + "/".join(map(str, path))
