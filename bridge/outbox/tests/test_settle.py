"""One rule settles every send of an outbox message, from the web path and the relay alike."""

from __future__ import annotations

from typing import Any

from django.test import TestCase
from django.utils import timezone
from rest_framework import serializers

from bridge.outbox.models import OutboxMessage
from bridge.outbox.services import DELIVERED, FAILED, PENDING, delivery_outcome, outbox_settle
from bridge.routes import Outbox, RouteTable
from natswire.errors import NatsTimeout, NatsUnavailable, RemoteError


class TeamReplySerializer(serializers.Serializer):
    id = serializers.IntegerField(min_value=1)


class Recorder:
    def __init__(self) -> None:
        self.replies: list[dict[str, Any]] = []
        self.failures: list[tuple[dict[str, Any], str]] = []

    def table(self) -> RouteTable:
        route = Outbox(
            subject="teams.create",
            reply_serializer=TeamReplySerializer,
            on_reply=lambda reply: self.replies.append(reply) or reply,
            on_failure=lambda payload, reason: self.failures.append((payload, reason)),
        )
        return RouteTable(service="teams", version="1.0.0", routes=[route])


def pending_message() -> OutboxMessage:
    return OutboxMessage.objects.create(
        subject="teams.create", payload={"name": "a"}, key="team-1", next_attempt_at=timezone.now()
    )


class DeliveryOutcomeTests(TestCase):
    def test_an_answer_is_delivered_a_4xx_fails_and_anything_else_is_tried_again(self):
        self.assertEqual(delivery_outcome(None), DELIVERED)
        self.assertEqual(delivery_outcome(RemoteError(400, "bad")), FAILED)
        self.assertEqual(delivery_outcome(RemoteError(404, "gone")), FAILED)
        for transient in (RemoteError(500, "oops"), RemoteError(503, "busy"), NatsTimeout("t"), NatsUnavailable("u")):
            self.assertEqual(delivery_outcome(transient), PENDING, transient)


class OutboxSettleTests(TestCase):
    def setUp(self):
        self.recorder = Recorder()
        self.message = pending_message()

    def settle(self, **result: Any):
        return outbox_settle(table=self.recorder.table(), message=self.message, **result)

    def test_a_valid_reply_is_applied_once_and_marks_the_message_delivered(self):
        first = self.settle(reply={"id": 7})
        again = self.settle(reply={"id": 7})

        self.assertEqual((first.state, first.applied), (DELIVERED, {"id": 7}))
        self.assertEqual((again.state, again.applied), (DELIVERED, None))  # a concurrent send applied it
        self.assertEqual(self.recorder.replies, [{"id": 7}])
        self.assertEqual(OutboxMessage.objects.get(pk=self.message.pk).state, "delivered")

    def test_a_reply_its_serializer_refuses_is_not_applied_and_is_tried_again(self):
        delivery = self.settle(reply={"id": 0})

        stored = OutboxMessage.objects.get(pk=self.message.pk)
        self.assertEqual((delivery.state, stored.state), (PENDING, "pending"))
        self.assertEqual(self.recorder.replies, [])
        self.assertIn("id", stored.last_error)
        self.assertGreater(stored.next_attempt_at, self.message.next_attempt_at)

    def test_a_refusal_for_good_fails_the_message_and_tells_the_site_once(self):
        refusal = RemoteError(400, "Invalid payload", {"name": ["too long"]})
        self.settle(error=refusal)
        self.settle(error=refusal)

        stored = OutboxMessage.objects.get(pk=self.message.pk)
        self.assertEqual(stored.state, "failed")
        self.assertEqual(len(self.recorder.failures), 1)
        self.assertIn("too long", self.recorder.failures[0][1])

    def test_a_transient_error_leaves_the_message_pending_with_its_reason(self):
        delivery = self.settle(error=NatsTimeout("workflows.create did not answer within 2s"))

        stored = OutboxMessage.objects.get(pk=self.message.pk)
        self.assertEqual((delivery.state, stored.state), (PENDING, "pending"))
        self.assertIn("did not answer", stored.last_error)


class KeyedOutboxTests(TestCase):
    """A ``keyed`` route's handlers learn which request a reply or a refusal answers."""

    def setUp(self):
        self.calls: list[tuple[str, Any, str]] = []
        route = Outbox(
            subject="teams.create",
            reply_serializer=TeamReplySerializer,
            on_reply=lambda reply, *, key: self.calls.append(("reply", reply, key)),
            on_failure=lambda payload, reason, *, key: self.calls.append(("failure", payload, key)),
            keyed=True,
        )
        self.table = RouteTable(service="teams", version="1.0.0", routes=[route])

    def test_the_reply_comes_with_the_requests_key(self):
        outbox_settle(table=self.table, message=pending_message(), reply={"id": 7})

        self.assertEqual(self.calls, [("reply", {"id": 7}, "team-1")])

    def test_a_refusal_for_good_comes_with_the_requests_key(self):
        outbox_settle(table=self.table, message=pending_message(), error=RemoteError(400, "no"))

        self.assertEqual(self.calls, [("failure", {"name": "a"}, "team-1")])
