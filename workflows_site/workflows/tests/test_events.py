"""Events on a real NATS: what the workflows bridge announces on ``WORKFLOWS`` and reads from ``BUILDINGS``.

The site's own bridge runs in a thread (replies, the ``building.deleted`` consumer and the
outbox relay, as ``runbridge`` runs them); requests go through the site's NATS client and
the streams are read back as they are stored.
"""

from __future__ import annotations

from datetime import datetime

from django.test import TransactionTestCase

from bridge import asyncapi
from bridge.client import get_client
from bridge.jetstream_testing import (
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
