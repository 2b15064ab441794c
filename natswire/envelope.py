"""Message bodies on the wire: plain JSON, or the NestJS NATS transport envelope.

NestJS sends ``{"pattern": ..., "data": ..., "id": ...}`` and expects
``{"response": ..., "isDisposed": true, "id": ...}`` or ``{"err": ..., "isDisposed": true,
"id": ...}`` back; events carry ``{"pattern": ..., "data": ...}`` and no id. A message is
answered in the shape it came in, so NestJS peers and plain clients both work unchanged.

A NestJS pattern is a string (``send('workflows.create', data)``: the subject is the pattern)
or an object (``send({cmd: 'workflows.create'}, data)``: the subject is the object as NestJS
writes it, ``{"cmd":"workflows.create"}``). Requests we send use one of three wires:
``plain`` JSON, ``nestjs`` (string pattern) or ``nestjs-object`` (``{"cmd": subject}``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from natswire.errors import HandlerError, InvalidPayload, RemoteError

PLAIN = "plain"
NESTJS = "nestjs"
NESTJS_OBJECT = "nestjs-object"
WIRES = (PLAIN, NESTJS, NESTJS_OBJECT)


@dataclass(frozen=True, slots=True)
class Incoming:
    """A decoded message body: its payload, and how to shape the answer."""

    data: Any
    wire: str = PLAIN
    nest_id: str | None = None


def decode(raw: bytes) -> Incoming:
    """Decode a body, unwrapping a NestJS envelope; bad JSON raises ``InvalidPayload``."""
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        raise InvalidPayload(f"Body is not valid JSON: {error}") from None
    if isinstance(body, dict) and "pattern" in body and "data" in body:
        nest_id = body.get("id")
        return Incoming(data=body["data"], wire=NESTJS, nest_id=str(nest_id) if nest_id else None)
    return Incoming(data=body)


def encode_reply(incoming: Incoming, result: Any) -> bytes:
    """The successful answer, in the caller's shape."""
    if incoming.wire == NESTJS:
        return orjson.dumps({"response": result, "isDisposed": True, "id": incoming.nest_id})
    return orjson.dumps(result)


def encode_error(incoming: Incoming | None, error: HandlerError) -> bytes:
    """The error answer, in the caller's shape (plain when the body could not be decoded)."""
    if incoming is not None and incoming.wire == NESTJS:
        # NestJS clients look for the literal status "error"; the number goes in "code".
        err = {**error.as_dict(), "status": "error", "code": error.status}
        return orjson.dumps({"err": err, "isDisposed": True, "id": incoming.nest_id})
    return orjson.dumps({"error": error.as_dict()})


def nest_request(pattern: str, data: Any, request_id: str) -> bytes:
    """A request body as a NestJS client would send it."""
    return orjson.dumps({"pattern": pattern, "data": data, "id": request_id})


def nest_object_subject(command: str) -> str:
    """The subject of NestJS's ``send({cmd: command}, ...)``: ``{"cmd":"workflows.create"}``."""
    return nest_route({"cmd": command})


def nest_route(pattern: dict[str, Any]) -> str:
    """An object pattern as NestJS turns it into a subject: keys sorted, no spaces, strings quoted."""
    parts = []
    for key in sorted(pattern):
        value = pattern[key]
        if isinstance(value, str):
            shown = f'"{value}"'
        elif isinstance(value, dict):
            shown = nest_route(value)
        else:  # numbers and booleans as JavaScript writes them
            shown = str(value).lower() if isinstance(value, bool) else str(value)
        parts.append(f'"{key}":{shown}')
    return "{" + ",".join(parts) + "}"


def outgoing_request(wire: str, subject: str, data: Any, request_id: str) -> tuple[str, bytes]:
    """The NATS subject and body of a request for ``subject`` on ``wire`` (one of ``WIRES``)."""
    if wire == NESTJS:
        return subject, nest_request(subject, data, request_id)
    if wire == NESTJS_OBJECT:
        pattern = {"cmd": subject}
        return nest_route(pattern), orjson.dumps({"pattern": pattern, "data": data, "id": request_id})
    if wire == PLAIN:
        return subject, orjson.dumps(data)
    raise ValueError(f"unknown wire {wire!r}: expected one of {', '.join(WIRES)}")


def nest_event(pattern: str, data: Any) -> bytes:
    """An event body as a NestJS client's ``emit`` would send it."""
    return orjson.dumps({"pattern": pattern, "data": data})


def decode_reply(raw: bytes, headers: dict[str, str] | None) -> Any:
    """The result carried by a reply of either shape; an error reply raises ``RemoteError``."""
    try:
        body = orjson.loads(raw) if raw else None
    except orjson.JSONDecodeError:
        raise RemoteError(502, "Reply is not valid JSON") from None
    if headers and "Nats-Service-Error-Code" in headers:
        error = body.get("error", {}) if isinstance(body, dict) else {}
        status = _status(headers.get("Nats-Service-Error-Code"))
        raise RemoteError(status, headers.get("Nats-Service-Error", ""), error.get("errors"))
    if isinstance(body, dict) and ("isDisposed" in body or "err" in body):
        if body.get("err"):
            raise nest_error(body["err"])
        return body.get("response")
    return body


def nest_error(err: Any) -> RemoteError:
    """A NestJS ``err`` as our ``RemoteError``, whichever of its shapes it has.

    - ours: ``{"status": "error", "code": 400, "message": ..., "errors": {...}}``;
    - ``throw new RpcException('text')``: ``{"status": "error", "message": "text"}`` (500);
    - ``throw new RpcException({statusCode: 400, message: [...]})``: that object as it is, and
      ``new RpcException(new BadRequestException(...))``: the exception's fields, with the
      ``statusCode`` in ``response``; a list of messages (ValidationPipe's) are the field errors;
    - any other exception: ``{"status": "error", "message": "Internal server error"}`` (500);
    - no handler for the pattern: a bare string (500).

    A status of 4xx is permanent (the outbox gives up), anything else is retried.
    """
    if not isinstance(err, dict):
        return RemoteError(500, str(err))
    response = err.get("response") if isinstance(err.get("response"), dict) else {}
    status = _status(err.get("code"), err.get("statusCode"), err.get("status"), response.get("statusCode"))
    message = err.get("message", response.get("message", "error"))
    errors = err.get("errors")
    if errors is None:
        listed = next((m for m in (message, response.get("message")) if isinstance(m, list)), None)
        errors = listed
    if isinstance(message, list):
        message = "; ".join(map(str, message))
    return RemoteError(status, str(message), errors)


def _status(*candidates: Any) -> int:
    """The first candidate that is an HTTP status (NestJS's ``"status": "error"`` is not); else 500."""
    for value in candidates:
        if isinstance(value, bool) or value is None:
            continue
        try:
            number = int(value)
        except (TypeError, ValueError):
            continue
        if 100 <= number <= 599:
            return number
    return 500
