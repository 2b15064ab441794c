"""Plain and NestJS message shapes."""

from __future__ import annotations

import orjson
import pytest

from natswire.envelope import NESTJS, PLAIN, decode, decode_reply, encode_error, encode_reply
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
