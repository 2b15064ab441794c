"""Plain and NestJS message shapes."""

from __future__ import annotations

import orjson
import pytest

from natswire.envelope import (
    NESTJS,
    NESTJS_OBJECT,
    PLAIN,
    decode,
    decode_reply,
    encode_error,
    encode_reply,
    nest_object_subject,
    nest_route,
    outgoing_request,
)
from natswire.errors import InvalidPayload, RemoteError


def test_it_decodes_plain_json_and_nestjs_envelopes():
    assert decode(b'{"name": "x"}').wire == PLAIN
    nest = decode(b'{"pattern": "p", "data": {"name": "x"}, "id": "7"}')
    assert (nest.wire, nest.data, nest.nest_id) == (NESTJS, {"name": "x"}, "7")


def test_it_refuses_bytes_that_are_not_json():
    with pytest.raises(InvalidPayload):
        decode(b"\xff\xfe")


def test_it_answers_each_caller_in_its_own_shape():
    assert orjson.loads(encode_reply(decode(b"{}"), {"id": 1})) == {"id": 1}
    nest = decode(b'{"pattern": "p", "data": {}, "id": "9"}')
    assert orjson.loads(encode_reply(nest, {"id": 1})) == {"response": {"id": 1}, "isDisposed": True, "id": "9"}
    error = orjson.loads(encode_error(nest, InvalidPayload("bad", errors={"name": ["required"]})))
    assert error == {
        "err": {"status": "error", "message": "bad", "errors": {"name": ["required"]}, "code": 400},
        "isDisposed": True,
        "id": "9",
    }


def test_it_reads_replies_of_both_shapes_and_raises_on_errors():
    assert decode_reply(b'{"id": 1}', None) == {"id": 1}
    assert decode_reply(b'{"response": {"id": 2}, "isDisposed": true, "id": "x"}', None) == {"id": 2}
    with pytest.raises(RemoteError) as plain:
        decode_reply(
            b'{"error": {"errors": {"a": ["b"]}}}', {"Nats-Service-Error": "no", "Nats-Service-Error-Code": "400"}
        )
    assert (plain.value.status, plain.value.errors, plain.value.is_permanent) == (400, {"a": ["b"]}, True)
    with pytest.raises(RemoteError) as nest:
        decode_reply(b'{"err": {"status": "error", "message": "Internal server error"}, "isDisposed": true}', None)
    assert (nest.value.status, nest.value.is_permanent) == (500, False)


def test_it_writes_requests_on_each_wire_and_the_object_pattern_changes_the_subject():
    assert outgoing_request(PLAIN, "w.c", {"a": 1}, "7") == ("w.c", b'{"a":1}')
    subject, body = outgoing_request(NESTJS, "w.c", {"a": 1}, "7")
    assert (subject, orjson.loads(body)) == ("w.c", {"pattern": "w.c", "data": {"a": 1}, "id": "7"})
    subject, body = outgoing_request(NESTJS_OBJECT, "w.c", {"a": 1}, "7")
    assert subject == '{"cmd":"w.c"}' == nest_object_subject("w.c")
    assert orjson.loads(body) == {"pattern": {"cmd": "w.c"}, "data": {"a": 1}, "id": "7"}
    with pytest.raises(ValueError, match="unknown wire"):
        outgoing_request("grpc", "w.c", {}, "7")


def test_it_turns_an_object_pattern_into_the_subject_nestjs_uses():
    # NestJS's transformPatternToRoute: keys sorted, strings quoted, numbers and objects bare.
    assert nest_route({"role": "w", "cmd": "create", "v": 2}) == '{"cmd":"create","role":"w","v":2}'
    assert nest_route({"a": {"b": "c"}}) == '{"a":{"b":"c"}}'


@pytest.mark.parametrize(
    ("err", "status", "message", "errors"),
    [
        # ours
        ({"status": "error", "code": 400, "message": "Invalid payload", "errors": {"name": ["x"]}}, 400,
         "Invalid payload", {"name": ["x"]}),
        # throw new RpcException('Building unknown')
        ({"status": "error", "message": "Building unknown"}, 500, "Building unknown", None),
        # any other exception (HttpException included): BaseRpcExceptionFilter hides it
        ({"status": "error", "message": "Internal server error"}, 500, "Internal server error", None),
        # throw new RpcException({ statusCode: 400, message: ['name must be a string'] })
        ({"statusCode": 400, "message": ["name must be a string"]}, 400, "name must be a string",
         ["name must be a string"]),
        # throw new RpcException(new BadRequestException(['buildingId must be a number']))
        ({"response": {"statusCode": 400, "message": ["buildingId must be a number"], "error": "Bad Request"},
          "status": 400, "options": {}, "message": "Bad Request Exception", "name": "BadRequestException"}, 400,
         "Bad Request Exception", ["buildingId must be a number"]),
        # no handler for the pattern
        ("There is no matching message handler defined in the remote service.", 500,
         "There is no matching message handler defined in the remote service.", None),
    ],
)  # fmt: skip
def test_it_reads_every_shape_of_nestjs_error(err, status, message, errors):
    with pytest.raises(RemoteError) as raised:
        decode_reply(orjson.dumps({"err": err, "isDisposed": True, "id": "1"}), None)
    assert (raised.value.status, raised.value.message, raised.value.errors) == (status, message, errors)
    assert raised.value.is_permanent == (400 <= status < 500)
