"""Message bodies on the wire: plain JSON, or the NestJS NATS transport envelope.

NestJS sends ``{"pattern": ..., "data": ..., "id": ...}`` and expects
``{"response": ..., "isDisposed": true, "id": ...}`` or ``{"err": ..., "isDisposed": true,
"id": ...}`` back; events carry ``{"pattern": ..., "data": ...}`` and no id. A message is
answered in the shape it came in, so NestJS peers and plain clients both work unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from natswire.errors import HandlerError, InvalidPayload, RemoteError

PLAIN = "plain"
NESTJS = "nestjs"


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
    if isinstance(body, dict) and "isDisposed" in body:
        if body.get("err"):
            err = body["err"] if isinstance(body["err"], dict) else {"message": str(body["err"])}
            status = _status(err.get("code", 500))
            raise RemoteError(status, str(err.get("message", "error")), err.get("errors"))
        return body.get("response")
    return body


def _status(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 500
