"""The AsyncAPI document's checks: the real document passes, and every kind of drift is caught.

Run under workflows_site's settings, so the workflows route table is the one at hand; the
other sites are checked through ``manage.py checkasyncapi`` in ``tests/test_asyncapi.py``.
"""

from __future__ import annotations

import copy
import random
from collections.abc import Callable
from typing import Any

import orjson
import pytest
from rest_framework import serializers

from alarms_generator.alarms import new_alarm
from bridge import asyncapi
from bridge.routes import Event, RouteTable
from bridge.serializer_schema import acceptance_problems, serializer_schema
from natswire.envelope import (
    NESTJS_OBJECT,
    decode,
    encode_error,
    encode_reply,
    nest_event,
    nest_request,
    outgoing_request,
)
from natswire.errors import InvalidPayload
from sitekit.fields import StrictCharField, StrictIntegerField
from sitekit.peer_events import WorkflowStatusChangedSerializer
from workflows_site.routes import ROUTES

Document = dict[str, Any]


@pytest.fixture(scope="module")
def document() -> Document:
    return asyncapi.load_document()


def problems_of(document: Document) -> list[str]:
    """Everything the workflows site's check reports."""
    return [
        *asyncapi.structure_problems(document),
        *asyncapi.example_problems(document),
        *asyncapi.route_problems(document, ROUTES),
        *asyncapi.serializer_problems(document, "workflows_site"),
    ]


def test_the_document_is_valid_asyncapi_3_and_describes_the_workflows_routes(document):
    assert document["asyncapi"] == "3.0.0"
    assert problems_of(document) == []


def request_schema(document: Document) -> dict:
    return document["components"]["schemas"]["WorkflowCreateRequest"]


def tamper_channel_away(document: Document) -> None:
    del document["channels"]["workflowsCreate"]["address"]
    document["channels"]["workflowsCreate"]["address"] = "workflows.make"


def tamper_queue(document: Document) -> None:
    document["operations"]["serveWorkflowsCreate"]["bindings"]["nats"]["queue"] = "workflows"


def tamper_kind(document: Document) -> None:
    del document["operations"]["serveWorkflowsCreate"]["reply"]


def tamper_envelope(document: Document) -> None:
    del document["channels"]["workflowsCreate"]["messages"]["requestNestjs"]
    for operation in ("serveWorkflowsCreate", "requestFirstWorkflow"):
        document["operations"][operation]["messages"].pop()


def tamper_field_name(document: Document) -> None:
    properties = request_schema(document)["properties"]
    properties["building_id"] = properties.pop("buildingId")
    request_schema(document)["required"] = ["name", "building_id"]


def tamper_max_length(document: Document) -> None:
    request_schema(document)["properties"]["name"]["maxLength"] = 255


def tamper_required(document: Document) -> None:
    request_schema(document)["required"] = ["name"]


def tamper_type(document: Document) -> None:
    request_schema(document)["properties"]["buildingId"]["type"] = "string"


def tamper_reply_shape(document: Document) -> None:
    del document["components"]["schemas"]["WorkflowCreated"]["properties"]["buildingId"]


def tamper_alias_away(document: Document) -> None:
    document["channels"]["workflowsCreateNestjsObject"]["address"] = '{"cmd":"workflows.make"}'


def tamper_alias_queue(document: Document) -> None:
    document["operations"]["serveWorkflowsCreateNestjsObject"]["bindings"]["nats"]["queue"] = "nest"


def tamper_reader_durable(document: Document) -> None:
    document["channels"]["buildingDeleted"]["x-jetstream"]["durables"]["workflows"] = "workflows-service"


def tamper_previous_status(document: Document) -> None:
    document["components"]["schemas"]["WorkflowStatusChanged"]["properties"]["previousStatus"]["enum"].remove(None)


@pytest.mark.parametrize(
    ("tamper", "expected"),
    [
        (tamper_channel_away, "workflows Reply workflows.create: no channel has this address"),
        (tamper_queue, "has queue group 'workflows', the route says 'workflows-service'"),
        (tamper_kind, "no request-reply 'receive' operation tagged 'workflows'"),
        (tamper_envelope, "channel workflowsCreate documents no nestjs message"),
        (tamper_field_name, "field 'buildingId' is missing from the document"),
        (tamper_max_length, "field 'name' maxLength is 255, the serializer says 200"),
        (tamper_required, "required is ['name'], the serializer says ['buildingId', 'name']"),
        (tamper_type, "field 'buildingId' type is 'string', the serializer says 'integer'"),
        (tamper_reply_shape, "WorkflowCreated (workflows_site.workflows.serializers.WorkflowReplySerializer)"),
        (tamper_alias_away, 'alias {"cmd":"workflows.create"}: no channel has this address'),
        (tamper_alias_queue, "operation serveWorkflowsCreateNestjsObject has queue group 'nest'"),
        (
            tamper_reader_durable,
            "x-jetstream durable is 'workflows-service', the route says 'workflows-service-buildings'",
        ),
        (tamper_previous_status, "field 'previousStatus' enum is ['active', 'cancelled', 'completed', 'new']"),
    ],
)
def test_it_reports_a_document_that_drifted_from_the_code(document, tamper: Callable[[Document], None], expected):
    tampered = copy.deepcopy(document)
    tamper(tampered)

    problems = problems_of(tampered)

    assert any(expected in problem for problem in problems), problems


def test_it_reports_a_document_that_breaks_the_asyncapi_specification(document):
    tampered = copy.deepcopy(document)
    tampered["operations"]["serveWorkflowsCreate"]["action"] = "listen"
    tampered["operations"]["serveWorkflowsCreate"]["bindings"]["nats"]["queue"] = "q" * 300
    del tampered["info"]["version"]

    problems = asyncapi.structure_problems(tampered)

    assert any("/operations/serveWorkflowsCreate/action" in problem for problem in problems), problems
    assert any("/operations/serveWorkflowsCreate/bindings/nats/queue" in problem for problem in problems), problems
    assert any("'version' is a required property" in problem for problem in problems), problems


def test_it_reports_an_example_its_own_schema_refuses(document):
    tampered = copy.deepcopy(document)
    tampered["components"]["messages"]["alarmCreated"]["examples"][0]["payload"]["severity"] = "catastrophic"

    assert any("alarmCreated payload /severity" in problem for problem in asyncapi.example_problems(tampered))


class Sample(serializers.Serializer):
    label = StrictCharField(min_length=2, max_length=10)
    count = StrictIntegerField(min_value=0, max_value=9, required=False)
    kind = serializers.ChoiceField(choices=["a", "b"], default="a")
    seen_at = serializers.DateTimeField(allow_null=True)
    tags = serializers.ListField(child=serializers.UUIDField())
    total = serializers.IntegerField(read_only=True)


def test_it_derives_a_serializers_json_schema_from_its_fields():
    assert serializer_schema(Sample, direction="request") == {
        "type": "object",
        "properties": {
            "label": {"type": "string", "minLength": 2, "maxLength": 10},
            "count": {"type": "integer", "minimum": 0, "maximum": 9},
            "kind": {"type": "string", "enum": ["a", "b"], "default": "a"},
            "seen_at": {"type": ["string", "null"], "format": "date-time"},
            "tags": {"type": "array", "items": {"type": "string", "format": "uuid"}},
        },
        "required": ["label", "seen_at", "tags"],
    }
    response = serializer_schema(Sample, direction="response", optional=["label"])
    assert response["required"] == ["label", "count", "kind", "seen_at", "tags", "total"]


def test_it_refuses_a_field_it_cannot_describe():
    class Unknown(serializers.Serializer):
        blob = serializers.JSONField()

    with pytest.raises(TypeError, match="JSONField 'blob'"):
        serializer_schema(Unknown, direction="request")


def test_it_reports_a_consumer_that_would_refuse_what_the_document_allows():
    documented = {
        "type": "object",
        "required": ["id"],
        "properties": {"id": {"type": "integer", "minimum": 0}, "name": {"type": "string", "maxLength": 50}},
    }
    parser = {
        "properties": {"id": {"type": "integer", "minimum": 1}, "name": {"type": "string", "maxLength": 100}},
        "required": ["id", "name"],
    }

    assert acceptance_problems(parser, documented, "X") == [
        "X: the parser requires 'name', which the document does not promise",
        "X: field 'id' minimum is 0, the parser insists on 1",
    ]


def test_a_shared_reader_is_checked_for_each_site_whose_routes_use_it(document):
    """A reader kept in the site kit belongs to no site's package: the routes that use it bring it in."""
    reader = "sitekit.peer_events.WorkflowStatusChangedSerializer"
    table = RouteTable(
        service="reader",
        version="1.0.0",
        routes=[
            Event(
                subject="workflow.status_changed",
                handler=lambda payloads: None,
                serializer=WorkflowStatusChangedSerializer,
                stream="WORKFLOWS",
                stream_subjects=("workflow.>",),
                durable="reader-workflows",
            ),
        ],
    )
    tampered = copy.deepcopy(document)
    tampered["components"]["schemas"]["WorkflowStatusChanged"]["properties"]["name"]["maxLength"] = 500

    assert asyncapi.route_serializer_paths(table) == {reader}
    assert asyncapi.serializer_problems(tampered, "reader_site") == []  # not its package, not asked for
    assert asyncapi.serializer_problems(tampered, "reader_site", table) == [
        f"WorkflowStatusChanged ({reader}): field 'name' maxLength is 500, the parser insists on 200"
    ]


def test_the_generators_events_match_the_document(document):
    rng = random.Random(7)
    for _ in range(50):
        alarm = new_alarm(rng, buildings=(1, 100))
        headers = {"Nats-Msg-Id": alarm["id"], "Trace-Id": "a1b2c3"}
        assert asyncapi.payload_problems(document, "alarmCreated", alarm, headers) == []
        nested = orjson.loads(nest_event("alarm.created", alarm))
        assert asyncapi.payload_problems(document, "alarmCreatedNestjs", nested) == []


def test_the_bridges_envelopes_match_the_document(document):
    request = orjson.loads(nest_request("workflows.create", {"name": "W", "buildingId": 1}, "abc"))
    assert asyncapi.payload_problems(document, "workflowCreateRequestNestjs", request) == []
    subject, body = outgoing_request(NESTJS_OBJECT, "workflows.create", {"name": "W", "buildingId": 1}, "abc")
    assert asyncapi.resolve(document, document["channels"]["workflowsCreateNestjsObject"])["address"] == subject
    assert asyncapi.payload_problems(document, "workflowCreateRequestNestjsObject", orjson.loads(body)) == []
    created = {"id": 1, "name": "W", "buildingId": 1, "kind": "general", "status": "new"}
    for incoming, reply, error in [
        (decode(b"{}"), "workflowCreated", "workflowCreateError"),
        (decode(orjson.dumps(request)), "workflowCreatedNestjs", "workflowCreateErrorNestjs"),
    ]:
        refusal = InvalidPayload("Invalid payload", errors={"name": ["This field is required."]})
        assert asyncapi.payload_problems(document, reply, orjson.loads(encode_reply(incoming, created))) == []
        assert asyncapi.payload_problems(document, error, orjson.loads(encode_error(incoming, refusal))) == []
