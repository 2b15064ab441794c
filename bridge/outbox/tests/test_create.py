"""A new row and its outbox request, saved together in one statement (real PostgreSQL)."""

from __future__ import annotations

from django.contrib.auth.models import Group
from django.db import DataError, connection
from django.test import TestCase, TransactionTestCase
from django.test.utils import CaptureQueriesContext

from bridge.outbox.create import create_with_request
from bridge.outbox.models import OutboxMessage


def create_group(name: str, subject: str = "teams.create") -> tuple[Group, OutboxMessage]:
    return create_with_request(
        Group(name=name),
        subject=subject,
        payload={"name": name, "kind": "team"},
        pk_into="groupId",
        key_template="group-{pk}-team",
        trace_id="trace-1",
    )


class CreateWithRequestTests(TestCase):
    def test_it_saves_the_row_and_a_request_carrying_its_id(self):
        group, message = create_group("operators")

        stored = OutboxMessage.objects.get(pk=message.pk)
        self.assertEqual(Group.objects.get(pk=group.pk).name, "operators")
        self.assertEqual(stored.payload, {"name": "operators", "kind": "team", "groupId": group.pk})
        self.assertEqual(stored.key, f"group-{group.pk}-team")
        self.assertEqual(
            (stored.subject, stored.trace_id, stored.attempts, stored.state), ("teams.create", "trace-1", 0, "pending")
        )
        self.assertGreater(stored.next_attempt_at, stored.created_at)  # the caller sends first; the relay later

    def test_it_returns_both_as_stored(self):
        group, message = create_group("operators")

        stored = OutboxMessage.objects.get(pk=message.pk)
        self.assertFalse(group._state.adding or message._state.adding)
        self.assertEqual((message.payload, message.key), (stored.payload, stored.key))
        self.assertEqual((message.created_at, message.next_attempt_at), (stored.created_at, stored.next_attempt_at))

    def test_it_is_one_statement_on_postgresql(self):
        self.assertEqual(connection.vendor, "postgresql", "the tests run on PostgreSQL, as production does")
        with CaptureQueriesContext(connection) as queries:
            create_group("operators")

        self.assertEqual(len(queries), 1)

    def test_the_key_must_say_where_the_id_goes(self):
        with self.assertRaises(ValueError):
            create_with_request(Group(name="x"), subject="s", payload={}, pk_into="id", key_template="no-id")


class AtomicityTests(TransactionTestCase):
    def test_when_the_request_cannot_be_stored_the_row_is_not_either(self):
        with self.assertRaises(DataError):
            create_group("operators", subject="s" * 201)  # longer than the subject column

        self.assertFalse(Group.objects.filter(name="operators").exists())
        self.assertFalse(OutboxMessage.objects.exists())
