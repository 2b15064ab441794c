"""docs/asyncapi.yaml against every site, and against what real processes put on the wire.

``manage.py checkasyncapi`` runs once per site (each under its own settings, as only then
can its routes and serializers be imported); tampered copies of the document prove it fails.
Then real bridges answer real requests and store real events, and every reply, header and
live or dead-letter message they produce is validated against the document's schemas.
"""

from __future__ import annotations

import asyncio
import copy
import os
import subprocess
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import nats
import nats.js.errors
import orjson
import pytest
import yaml

from bridge import asyncapi
from stack.system import REPO_ROOT, SITES, manage
from tests.conftest import site
from tests.natsclient import request

pytestmark = pytest.mark.system

WORKFLOWS = site("workflows_site")
ALARMS = site("alarms_site")
Document = dict[str, Any]


@pytest.fixture(scope="module")
def document() -> Document:
    return asyncapi.load_document()


def check(package: str, path: Path | None = None) -> subprocess.CompletedProcess:
    """``manage.py checkasyncapi`` of one site, on the real document or on ``path``."""
    argv = manage(site(package), "checkasyncapi", *(["--document", str(path)] if path else []))
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "DJANGO_SETTINGS_MODULE": f"{package}.settings"}
    return subprocess.run(argv, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("package", [s.package for s in SITES])
def test_the_document_describes_every_subject_and_serializer_of_each_site(package):
    result = check(package)

    assert result.returncode == 0, result.stderr
    assert "describes every subject" in result.stdout


def tamper_reply_promise(document: Document) -> None:
    document["components"]["schemas"]["WorkflowCreated"]["properties"]["id"]["minimum"] = 0


def tamper_outbox_kind(document: Document) -> None:
    del document["operations"]["requestFirstWorkflow"]["reply"]


def tamper_severities(document: Document) -> None:
    document["components"]["schemas"]["AlarmCreated"]["properties"]["severity"]["enum"].remove("info")


def tamper_live_subject(document: Document) -> None:
    document["channels"]["alarmsLiveAcknowledged"]["address"] = "alarms.live.acked"


def tamper_durable(document: Document) -> None:
    document["operations"]["storeAlarms"]["bindings"]["nats"]["queue"] = "alarms"


def tamper_live_queue(document: Document) -> None:
    document["operations"]["followStoredAlarms"]["bindings"] = {"nats": {"queue": "alarms-web"}}


def tamper_stream(document: Document) -> None:
    document["channels"]["alarmCreated"]["x-jetstream"]["subjects"] = ["alarm.created"]


def tamper_queue_group(document: Document) -> None:
    document["operations"]["serveWorkflowsCreate"]["bindings"]["nats"]["queue"] = "workflows"


@pytest.mark.parametrize(
    ("package", "tamper", "expected"),
    [
        ("buildings_site", tamper_reply_promise, "field 'id' minimum is 0, the parser insists on 1"),
        ("buildings_site", tamper_outbox_kind, "no request-reply 'send' operation tagged 'buildings'"),
        ("alarms_site", tamper_severities, "field 'severity' enum is ['critical', 'major', 'minor', 'warning']"),
        ("alarms_site", tamper_live_subject, "alarms Publish alarms.live.acknowledged: no channel has this address"),
        ("alarms_site", tamper_durable, "has queue group 'alarms', the route says 'alarms-service'"),
        ("alarms_site", tamper_live_queue, "has queue group 'alarms-web'; it must have none"),
        ("alarms_site", tamper_stream, "x-jetstream subjects is ['alarm.created'], the route says ['alarm.>']"),
        ("workflows_site", tamper_queue_group, "has queue group 'workflows', the route says 'workflows-service'"),
    ],
)
def test_the_check_fails_when_the_document_drifts_from_a_site(
    document, tmp_path, package, tamper: Callable[[Document], None], expected
):
    tampered = copy.deepcopy(document)
    tamper(tampered)
    path = tmp_path / "asyncapi.yaml"
    path.write_text(yaml.safe_dump(tampered, sort_keys=False))

    result = check(package, path)

    assert result.returncode == 1
    assert expected in result.stderr, result.stderr


def test_real_workflows_replies_errors_and_discovery_match_the_document(system, document):
    bridge = system.start_bridge(WORKFLOWS)
    bridge.wait_ready()
    url = system.nats_url
    headers = {"Trace-Id": "contract-test", "Idempotency-Key": f"contract-{uuid.uuid4().hex}"}
    assert asyncapi.payload_problems(document, "workflowCreateRequest", {"name": "W", "buildingId": 1}, headers) == []

    answers = {
        "workflowCreated": request(
            url, "workflows.create", orjson.dumps({"name": "W", "buildingId": 1}), headers=headers
        ),
        "workflowCreatedNestjs": request(
            url,
            "workflows.create",
            orjson.dumps({"pattern": "workflows.create", "data": {"name": "N", "buildingId": 2}, "id": "n-1"}),
            headers={"Trace-Id": "contract-test"},
        ),
        "workflowCreatedNestjs (object pattern)": request(
            url,
            '{"cmd":"workflows.create"}',
            orjson.dumps({"pattern": {"cmd": "workflows.create"}, "data": {"name": "O", "buildingId": 3}, "id": "n-3"}),
        ),
        "workflowCreateError": request(url, "workflows.create", orjson.dumps({"name": 5}), headers=headers),
        "workflowCreateErrorNestjs": request(
            url, "workflows.create", orjson.dumps({"pattern": "workflows.create", "data": {}, "id": "n-2"})
        ),
        "workflowTransitionError": request(
            url, "workflows.transition", orjson.dumps({"id": 2**40, "status": "active"}), headers=headers
        ),
        "workflowTransitionErrorNestjs": request(
            url, "workflows.transition", orjson.dumps({"pattern": "workflows.transition", "data": {}, "id": "n-4"})
        ),
        "servicePing": request(url, "$SRV.PING.workflows", b""),
        "serviceInfo": request(url, "$SRV.INFO.workflows", b""),
        "serviceStats": request(url, "$SRV.STATS.workflows", b""),
    }

    created_id = answers["workflowCreated"][1]["id"]
    answers["workflowTransitioned"] = request(
        url, "workflows.transition", orjson.dumps({"id": created_id, "status": "active"}), headers=headers
    )
    answers["workflowTransitionedNestjs"] = request(
        url,
        "workflows.transition",
        orjson.dumps(
            {"pattern": "workflows.transition", "data": {"id": created_id, "status": "completed"}, "id": "n-5"}
        ),
    )

    for answer, (reply_headers, body) in answers.items():
        message = answer.split(" ")[0]
        documented_headers = reply_headers if "Error" in message else None
        assert asyncapi.payload_problems(document, message, body, documented_headers) == [], (answer, body)
    assert answers["workflowCreateError"][0]["Nats-Service-Error-Code"] == "400"
    assert answers["workflowCreated"][0].get("Nats-Service-Error-Code") is None
    endpoints = answers["serviceInfo"][1]["endpoints"]
    assert sorted((endpoint["subject"], endpoint["queue_group"]) for endpoint in endpoints) == [
        ("workflows.create", "workflows-service"),
        ("workflows.transition", "workflows-service"),
        ('{"cmd":"workflows.create"}', "workflows-service"),
    ]
    assert answers["workflowTransitionError"][0]["Nats-Service-Error-Code"] == "404"
    assert answers["workflowTransitionedNestjs"][1]["response"]["status"] == "completed"


def test_real_live_and_dead_letter_messages_match_the_document(system, document):
    bridge = system.start_bridge(ALARMS)
    bridge.wait_ready()
    event = {"id": str(uuid.uuid4()), "name": "Smoke detected", "buildingId": 4, "severity": "critical"}

    live, parked = asyncio.run(publish_and_collect(system.nats_url, event))

    assert asyncapi.payload_problems(document, "alarmsLiveCreated", live["payload"], live["headers"]) == []
    assert [alarm["event_id"] for alarm in live["payload"]["alarms"]] == [event["id"]]
    assert asyncapi.payload_problems(document, "alarmRejected", parked["payload"], parked["headers"]) == []
    assert parked["payload"] == {"name": "No building"}


async def publish_and_collect(url: str, event: dict) -> tuple[dict, dict]:
    """Publish one valid and one invalid event; return the live message and the parked event."""
    nc = await nats.connect(url)
    try:
        live = await nc.subscribe("alarms.live.created")
        js = nc.jetstream()
        await js.publish("alarm.created", orjson.dumps(event), headers={"Nats-Msg-Id": event["id"]})
        await js.publish("alarm.created", orjson.dumps({"name": "No building"}))
        message = await live.next_msg(timeout=15)
        parked = None
        for _ in range(100):  # parked within a second or two by the bridge; bounded wait
            try:
                parked = await js.get_msg("ALARMS_DEAD_LETTER", 1)
                break
            except nats.js.errors.NotFoundError:
                await asyncio.sleep(0.1)
        assert parked is not None, "the invalid event was not parked"
        return (
            {"payload": orjson.loads(message.data), "headers": dict(message.headers or {})},
            {"payload": orjson.loads(parked.data), "headers": dict(parked.headers or {})},
        )
    finally:
        await nc.close()
