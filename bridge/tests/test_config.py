"""Settings helpers and route tables refuse bad configuration at start-up."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured
from rest_framework import serializers

from bridge.env import env_bool, env_int, env_list
from bridge.fields import StrictCharField, StrictIntegerField
from bridge.routes import Publish, Reply, RouteTable


def test_it_reads_typed_environment_values(monkeypatch):
    monkeypatch.setenv("X_BOOL", "yes")
    monkeypatch.setenv("X_INT", "12")
    monkeypatch.setenv("X_LIST", "a, b,,c")
    assert env_bool("X_BOOL", False) is True
    assert env_int("X_INT", 1, minimum=1) == 12
    assert env_list("X_LIST", []) == ["a", "b", "c"]
    assert env_int("X_UNSET", 5) == 5


@pytest.mark.parametrize(
    ("name", "value", "reader"),
    [
        ("X_BOOL", "maybe", lambda: env_bool("X_BOOL", False)),
        ("X_INT", "ten", lambda: env_int("X_INT", 1)),
        ("X_INT", "0", lambda: env_int("X_INT", 1, minimum=1)),
    ],
)
def test_it_refuses_malformed_environment_values(monkeypatch, name, value, reader):
    monkeypatch.setenv(name, value)
    with pytest.raises(ImproperlyConfigured):
        reader()


class Payload(serializers.Serializer):
    name = StrictCharField()
    count = StrictIntegerField()


def test_strict_fields_refuse_the_wrong_json_types():
    assert not Payload(data={"name": 123, "count": "1"}).is_valid()
    assert not Payload(data={"name": "x", "count": True}).is_valid()
    assert not Payload(data={"name": "x", "count": 1.5}).is_valid()
    assert Payload(data={"name": "x", "count": 1}).is_valid()


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
