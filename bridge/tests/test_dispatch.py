"""Dispatch: one bad message costs only its own answer, never its batch's."""

from __future__ import annotations

import orjson
import pytest
from django.db import DataError, OperationalError
from rest_framework import serializers

from bridge.dispatch import EventIn, answer_batch, parse_events, refuse_oversized, store_events, validate
from bridge.routes import Event, Meta, Reply
from natswire.errors import InvalidPayload
from sitekit.fields import StrictCharField


class NameSerializer(serializers.Serializer):
    name = StrictCharField(max_length=200)


def names_or_fail(items):
    """A batch handler the database would refuse for the name "refused"."""
    if any(payload["name"] == "refused" for payload, _ in items):
        raise DataError("value out of range")
    return [{"name": payload["name"]} for payload, _ in items]


REPLY = Reply(subject="test.names", serializer=NameSerializer, queue="q", batch_handler=names_or_fail, max_payload=100)


def meta(key: str | None = None) -> Meta:
    return Meta(subject="test.names", trace_id="t", idempotency_key=key)


def statuses(answers) -> list[int]:
    return [200 if answer.error is None else answer.error.status for answer in answers]


def test_it_refuses_a_body_over_the_route_limit_with_413_before_parsing_it():
    answer = refuse_oversized(REPLY, b"\xff" * 101)
    assert answer.error.status == 413
    assert answer.headers["Nats-Service-Error-Code"] == "413"
    assert orjson.loads(answer.body)["error"]["message"] == "Payload of 101 bytes exceeds the limit of 100 bytes"
    assert refuse_oversized(REPLY, b"\xff" * 100) is None
    assert statuses(answer_batch(REPLY, [(b"\xff" * 100, meta()), (b" " * 101, meta())])) == [400, 413]


def test_it_refuses_an_idempotency_key_no_column_could_hold():
    body = orjson.dumps({"name": "a"})
    keys = [None, "building-1-first-workflow", "k\x00ey", "k" * 201, "ключ", "k" * 200]
    assert statuses(answer_batch(REPLY, [(body, meta(key)) for key in keys])) == [200, 200, 400, 400, 400, 200]


def test_a_request_the_database_refuses_fails_alone_and_the_rest_of_its_batch_is_answered():
    bodies = [orjson.dumps({"name": name}) for name in ("a", "refused", "b")]
    answers = answer_batch(REPLY, [(body, meta()) for body in bodies])
    assert statuses(answers) == [200, 500, 200]
    assert [orjson.loads(answers[i].body) for i in (0, 2)] == [{"name": "a"}, {"name": "b"}]


def test_a_lost_database_fails_the_whole_batch_with_503_at_once():
    calls = []

    def unreachable(items):
        calls.append(len(items))
        raise OperationalError("connection refused")

    route = Reply(subject="test.names", serializer=NameSerializer, queue="q", batch_handler=unreachable)
    answers = answer_batch(route, [(orjson.dumps({"name": "a"}), meta()), (orjson.dumps({"name": "b"}), meta())])
    assert statuses(answers) == [503, 503]
    assert calls == [2]  # not retried one by one: they would all fail the same way


def event_route(handler) -> Event:
    return Event(
        subject="test.events",
        handler=handler,
        serializer=NameSerializer,
        stream="T",
        stream_subjects=("test.>",),
        durable="d",
        id_field="name",
        max_payload=100,
    )


def test_an_event_the_database_refuses_is_returned_to_be_parked_and_the_others_are_stored():
    stored: list[str] = []

    def store(payloads):
        if any(payload["name"] == "refused" for payload in payloads):
            raise DataError("value out of range")
        stored.extend(payload["name"] for payload in payloads)

    refused = store_events(event_route(store), [{"name": "a"}, {"name": "refused"}, {"name": "b"}])
    assert stored == ["a", "b"]
    assert [(rejection.index, rejection.reason) for rejection in refused] == [
        (1, "Could not be stored: DataError: value out of range")
    ]


def test_an_event_batch_is_retried_whole_when_the_database_is_out_of_reach():
    def store(payloads):
        raise OperationalError("server closed the connection unexpectedly")

    with pytest.raises(OperationalError):
        store_events(event_route(store), [{"name": "a"}, {"name": "b"}])


def test_an_oversized_event_is_rejected_unparsed():
    valid, rejected = parse_events(
        event_route(print), [EventIn(b"{" * 101, None, 1), EventIn(b'{"name": "a"}', None, 2)]
    )
    assert [index for index, _ in valid] == [1]
    assert [(r.index, r.reason) for r in rejected] == [(0, "Payload of 101 bytes exceeds the limit of 100 bytes")]


class NamesSerializer(serializers.Serializer):
    names = serializers.ListField(child=NameSerializer())


def test_a_bad_item_of_a_list_is_refused_with_its_index_as_the_field_key():
    with pytest.raises(InvalidPayload) as refused:
        validate(NamesSerializer, {"names": [{"name": "ok"}, {"name": 1}]})
    assert refused.value.errors == {"names": {"1": {"name": ["Must be a string."]}}}
