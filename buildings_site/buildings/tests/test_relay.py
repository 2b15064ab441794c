"""The outbox relay of the buildings bridge, against a real NATS server."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import orjson
from django.test import TransactionTestCase
from django.utils import timezone

from bridge.outbox.models import OutboxMessage
from bridge.outbox.relay import OutboxRelay
from bridge.routes import load_routes
from bridge.runner import Bridge
from bridge.testing import NatsTestMixin, Responder
from buildings_site.buildings.models import Building, WorkflowStatus
from buildings_site.buildings.services import building_create


def relay_once(url: str) -> int:
    """One relay pass, as the bridge process runs it."""

    async def run() -> int:
        from natswire.connection import connect

        table = load_routes()
        bridge = Bridge(table, nats_url=url, name="test-relay", concurrency=4, request_timeout=1.0)
        nc = await connect(url, name="test-relay", retry_forever=False)
        try:
            return await OutboxRelay(table, nc=nc, runtime=bridge).relay_once()
        finally:
            await nc.close()
            bridge.close_workers()

    return asyncio.run(run())


def make_due() -> None:
    OutboxMessage.objects.update(next_attempt_at=timezone.now() - timedelta(seconds=1))


class OutboxRelayTests(NatsTestMixin, TransactionTestCase):
    def test_it_delivers_pending_requests_and_attaches_the_workflows(self):
        buildings = [building_create(name=f"B{i}") for i in range(3)]
        make_due()

        def answer(body, headers):
            request = orjson.loads(body)
            return orjson.dumps(
                {"id": request["buildingId"] * 10, "name": "New Workflow", "buildingId": request["buildingId"]}
            ), {}

        with Responder(self.nats.url, "workflows.create", answer) as peer:
            sent = relay_once(self.nats.url)

        self.assertEqual(sent, 3)
        self.assertEqual(len(peer.received), 3)
        for building in buildings:
            building.refresh_from_db()
            self.assertEqual((building.workflow_status, building.workflow_id), ("created", building.pk * 10))
        self.assertEqual(set(OutboxMessage.objects.values_list("attempts", flat=True)), {1})
        self.assertFalse(OutboxMessage.objects.filter(delivered_at__isnull=True).exists())

    def test_it_leaves_messages_pending_with_a_backoff_while_nobody_answers(self):
        building_create(name="Lonely")
        make_due()

        self.assertEqual(relay_once(self.nats.url), 1)

        message = OutboxMessage.objects.get()
        self.assertEqual(message.state, "pending")
        self.assertIn("no service answers", message.last_error)
        self.assertGreater(message.next_attempt_at, timezone.now())
        self.assertEqual(relay_once(self.nats.url), 0)  # not due again yet
        self.assertEqual(Building.objects.get().workflow_status, WorkflowStatus.PENDING)

    def test_it_does_not_send_messages_that_are_not_due(self):
        building_create(name="Fresh")  # its first attempt belongs to the web request
        self.assertEqual(relay_once(self.nats.url), 0)
