"""Events on a real NATS: what the workflows bridge announces on ``WORKFLOWS`` and reads from ``BUILDINGS``.

The site's own bridge runs in a thread (replies, the ``building.deleted`` consumer and the
outbox relay, as ``runbridge`` runs them); requests go through the site's NATS client and
the streams are read back as they are stored.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import orjson
from django.test import TransactionTestCase

from bridge import asyncapi
from bridge.client import get_client
from bridge.jetstream_testing import (
    StreamMessage,
    consumer_backlog,
    publish_to_stream,
    running_bridge,
    stream_messages,
    wait_until,
)
from bridge.outbox.models import OutboxMessage
from bridge.testing import NatsTestMixin
from natswire.errors import RemoteError
from workflows_site.workflows.models import Workflow

DOCUMENT = asyncapi.load_document()
DURABLE = "workflows-service-buildings"


def status_events(url: str, *workflow_ids: int) -> list[dict]:
    """The payloads on ``WORKFLOWS`` about ``workflow_ids`` once the outbox has published all it holds.

    Each message on the stream is checked against the contract; the stream lives as long as
    the test class's NATS server, so earlier tests' events are there too.
    """
    wait_until(lambda: not OutboxMessage.objects.filter(delivered_at__isnull=True).exists(), what="the relay")
    messages = stream_messages(url, "WORKFLOWS")
    for message in messages:
        assert message.subject == "workflow.status_changed", message.subject
        payload = message.payload
        assert message.headers["Nats-Msg-Id"] == f"workflow-{payload['workflowId']}-v{payload['version']}"
        assert asyncapi.payload_problems(DOCUMENT, "workflowStatusChanged", payload, message.headers) == []
    return [message.payload for message in messages if message.payload["workflowId"] in workflow_ids]


def without_ids(event: dict) -> dict:
    return {key: value for key, value in event.items() if key not in ("id", "changedAt")}


class StatusChangedTests(NatsTestMixin, TransactionTestCase):
    def test_a_creation_and_each_change_announce_exactly_one_event_with_its_version(self):
        client = get_client()
        with running_bridge(self.nats.url):
            created = client.request(
                "workflows.create",
                {"name": "Boiler service", "buildingId": 4, "kind": "maintenance"},
                idempotency_key="k1",
            )
            replayed = client.request(
                "workflows.create", {"name": "Boiler service", "buildingId": 4}, idempotency_key="k1"
            )
            active = client.request("workflows.transition", {"id": created["id"], "status": "active"})
            completed = client.request("workflows.transition", {"id": created["id"], "status": "completed"})
            events = status_events(self.nats.url, created["id"])

        self.assertEqual(replayed, created)
        self.assertEqual((active["status"], completed["status"]), ("active", "completed"))
        common = {"workflowId": created["id"], "buildingId": 4, "kind": "maintenance", "name": "Boiler service"}
        self.assertEqual(
            [without_ids(event) for event in events],
            [
                {**common, "status": "new", "previousStatus": None, "version": 1},
                {**common, "status": "active", "previousStatus": "new", "version": 2},
                {**common, "status": "completed", "previousStatus": "active", "version": 3},
            ],
        )
        self.assertEqual(len({event["id"] for event in events}), 3)
        changed = [datetime.fromisoformat(event["changedAt"]) for event in events]
        self.assertEqual(changed, sorted(changed))
        self.assertEqual(changed[-1], Workflow.objects.get().updated_at)

    def test_a_refused_transition_is_an_error_reply_and_announces_nothing(self):
        client = get_client()
        with running_bridge(self.nats.url):
            created = client.request("workflows.create", {"name": "W", "buildingId": 5})
            client.request("workflows.transition", {"id": created["id"], "status": "cancelled"})
            with self.assertRaises(RemoteError) as refused:
                client.request("workflows.transition", {"id": created["id"], "status": "active"})
            with self.assertRaises(RemoteError) as unknown:
                client.request("workflows.transition", {"id": created["id"] + 1000, "status": "active"})
            events = status_events(self.nats.url, created["id"])

        self.assertEqual(refused.exception.status, 400)
        self.assertEqual(refused.exception.message, f"cannot move workflow {created['id']} from cancelled to active")
        self.assertEqual((unknown.exception.status, unknown.exception.message[:8]), (404, "workflow"))
        self.assertEqual([event["status"] for event in events], ["new", "cancelled"])


def deleted(building_id: int) -> bytes:
    return orjson.dumps({"id": str(uuid.uuid4()), "buildingId": building_id, "deletedAt": "2025-05-01T10:00:00Z"})


class BuildingDeletedTests(NatsTestMixin, TransactionTestCase):
    def consumed(self) -> bool:
        return consumer_backlog(self.nats.url, "BUILDINGS", DURABLE) == 0

    def parked(self, count: int) -> list[StreamMessage]:
        """The dead letters once there are ``count`` of them, else none."""
        messages = stream_messages(self.nats.url, "WORKFLOWS_BUILDINGS_DEAD_LETTER")
        return messages if len(messages) == count else []

    def test_twice_delivered_it_cancels_the_open_workflows_once_with_one_event_each(self):
        client = get_client()
        with running_bridge(self.nats.url):
            new = client.request("workflows.create", {"name": "New", "buildingId": 7})
            active = client.request("workflows.create", {"name": "Active", "buildingId": 7})
            client.request("workflows.transition", {"id": active["id"], "status": "active"})
            other = client.request("workflows.create", {"name": "Other building", "buildingId": 8})
            event = deleted(7)
            # The same event twice, one after the other was handled: as a publisher's retry after
            # the duplicate window, or a redelivery after a lost acknowledgement, would come.
            for _ in range(2):
                publish_to_stream(self.nats.url, "building.deleted", [event])
                wait_until(self.consumed, what="building.deleted consumed")
            events = status_events(self.nats.url, new["id"], active["id"], other["id"])
            with self.assertRaises(RemoteError) as late:
                client.request("workflows.create", {"name": "Late", "buildingId": 7}, idempotency_key="late")

        self.assertEqual(
            dict(Workflow.objects.values_list("pk", "status")),
            {new["id"]: "cancelled", active["id"]: "cancelled", other["id"]: "new"},
        )
        cancellations = [
            (e["workflowId"], e["previousStatus"], e["version"]) for e in events if e["status"] == "cancelled"
        ]
        self.assertEqual(sorted(cancellations), [(new["id"], "new", 2), (active["id"], "active", 3)])
        self.assertEqual(late.exception.status, 409)
        self.assertEqual(late.exception.message, "building 7 was deleted: no workflow is created for it")
        self.assertEqual(late.exception.errors, {"buildingId": [late.exception.message]})

    def test_a_bad_event_is_parked_on_the_dead_letter_stream_with_its_reason(self):
        with running_bridge(self.nats.url):
            workflow = get_client().request("workflows.create", {"name": "Kept", "buildingId": 9})
            bad = [b'{"id": "7d3c8e2a-3f1e-4a56-9a53-1c2b3d4e5f60", "buildingId": "nine"}', b"not json"]
            publish_to_stream(self.nats.url, "building.deleted", bad)
            wait_until(self.consumed, what="building.deleted consumed")
            parked = wait_until(lambda: self.parked(2), what="both events parked")

        self.assertEqual([message.data for message in parked], bad)
        reasons = [message.headers["Rejected-Reason"] for message in parked]
        self.assertEqual(reasons[0], 'Invalid payload {"buildingId":["Must be an integer."]}')
        self.assertTrue(reasons[1].startswith("Body is not valid JSON"), reasons[1])
        self.assertEqual({message.subject for message in parked}, {"deadletter.workflows.building.deleted"})
        for message in parked:
            self.assertEqual(
                asyncapi.payload_problems(DOCUMENT, "buildingDeletedWorkflowsRejected", None, message.headers), []
            )
        self.assertEqual(Workflow.objects.get(pk=workflow["id"]).status, "new")
