"""Route tables refuse malformed, duplicate or ambiguous routes at start-up, like a URLconf."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured
from rest_framework import serializers

from bridge.routes import Outbox, Publish, Reply, RouteTable
from bridge.runner import endpoint_name


class Payload(serializers.Serializer):
    name = serializers.CharField()


def handler(payload, meta):
    return {}


def test_a_route_table_refuses_duplicate_and_malformed_subjects():
    reply = Reply(subject="a.b", serializer=Payload, queue="q", handler=handler)
    with pytest.raises(ImproperlyConfigured, match="routed twice"):
        RouteTable(service="s", version="1.0.0", routes=[reply, reply])
    with pytest.raises(ImproperlyConfigured, match="malformed subject"):
        RouteTable(service="s", version="1.0.0", routes=[Publish(subject="a..b")])
    with pytest.raises(ImproperlyConfigured, match="service name"):
        RouteTable(service="bad name", version="1.0.0", routes=[])
    assert RouteTable(service="s", version="1.0.0", routes=[reply]).of_kind(Reply) == [reply]


def test_a_reply_route_needs_exactly_one_kind_of_handler():
    with pytest.raises(ImproperlyConfigured, match="exactly one"):
        Reply(subject="a.b", serializer=Payload, queue="q")
    with pytest.raises(ImproperlyConfigured, match="exactly one"):
        Reply(subject="a.b", serializer=Payload, queue="q", handler=handler, batch_handler=lambda items: [])


def test_a_reply_route_answers_its_aliases_too_and_refuses_malformed_or_repeated_ones():
    nest = '{"cmd":"a.b"}'
    reply = Reply(subject="a.b", serializer=Payload, queue="q", handler=handler, aliases=(nest,))
    assert reply.subjects == ("a.b", nest)
    assert [endpoint_name(subject) for subject in reply.subjects] == ["a-b", "cmd-a-b"]
    RouteTable(service="s", version="1.0.0", routes=[reply])
    for alias in ['{"cmd": "a.b"}', '{"cmd":"a b"}', '{"cmd":1}', "{}", "a.>", '{"b":"x","a":"y"}']:
        with pytest.raises(ImproperlyConfigured, match="malformed alias"):
            bad = Reply(subject="a.b", serializer=Payload, queue="q", handler=handler, aliases=(alias,))
            RouteTable(service="s", version="1.0.0", routes=[bad])
    twice = Reply(subject="c.d", serializer=Payload, queue="q", handler=handler, aliases=(nest,))
    with pytest.raises(ImproperlyConfigured, match="routed twice"):
        RouteTable(service="s", version="1.0.0", routes=[reply, twice])


def test_an_outbox_route_refuses_an_unknown_wire():
    assert (
        Outbox(subject="a.b", reply_serializer=Payload, on_reply=lambda reply: None, wire="nestjs-object").wire
        == "nestjs-object"
    )
    with pytest.raises(ImproperlyConfigured, match="wire 'grpc'"):
        Outbox(subject="a.b", reply_serializer=Payload, on_reply=lambda reply: None, wire="grpc")
