"""Claiming due messages: what is due, oldest first, leased and counted, and never to two replicas at once."""

from __future__ import annotations

import threading
from datetime import timedelta

from django.db import connection, connections
from django.test import TestCase, TransactionTestCase
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bridge.outbox.claim import _claim_with_orm, outbox_claim_due
from bridge.outbox.models import OutboxMessage
from bridge.outbox.services import lease_duration


def message(key: str, *, due_in: float = -1.0, **fields) -> OutboxMessage:
    return OutboxMessage.objects.create(
        subject="teams.create",
        payload={"name": key, "size": 3, "tags": ["a"]},
        key=key,
        trace_id="t-" + key,
        next_attempt_at=timezone.now() + timedelta(seconds=due_in),
        **fields,
    )


class ClaimTests(TestCase):
    def test_it_takes_the_due_messages_longest_due_first_and_leases_and_counts_each(self):
        later = message("later", due_in=-1)
        first = message("first", due_in=-5)
        message("not-due", due_in=60)
        message("delivered", delivered_at=timezone.now())
        message("failed", failed_at=timezone.now())
        before = timezone.now()

        claimed = outbox_claim_due(limit=10)

        self.assertEqual([m.key for m in claimed], ["first", "later"])
        for stored in (OutboxMessage.objects.get(pk=first.pk), OutboxMessage.objects.get(pk=later.pk)):
            self.assertEqual(stored.attempts, 1)
            self.assertGreaterEqual(stored.next_attempt_at, before + lease_duration())
        self.assertEqual(outbox_claim_due(limit=10), [], "leased messages are not due again before the lease ends")

    def test_the_instances_are_what_is_stored_as_the_orm_reads_it(self):
        message("a", attempts=2, last_error="timed out")

        (claimed,) = outbox_claim_due(limit=10)

        stored = OutboxMessage.objects.get(pk=claimed.pk)
        for field in OutboxMessage._meta.concrete_fields:
            self.assertEqual(getattr(claimed, field.attname), getattr(stored, field.attname), field.name)
        self.assertEqual(claimed.payload, {"name": "a", "size": 3, "tags": ["a"]})
        self.assertEqual(claimed.attempts, 3)
        self.assertFalse(claimed._state.adding, "read from the database, so saving it updates the row")

    def test_it_takes_no_more_than_the_limit(self):
        for index in range(5):
            message(f"m{index}", due_in=-10 + index)

        self.assertEqual([m.key for m in outbox_claim_due(limit=3)], ["m0", "m1", "m2"])
        self.assertEqual([m.key for m in outbox_claim_due(limit=3)], ["m3", "m4"])

    def test_it_is_one_statement_on_postgresql(self):
        self.assertEqual(connection.vendor, "postgresql", "the tests run on PostgreSQL, as production does")
        message("a")
        with CaptureQueriesContext(connection) as queries:
            outbox_claim_due(limit=10)

        self.assertEqual(len(queries), 1)

    def test_the_orm_claim_other_databases_use_claims_the_same(self):
        message("later", due_in=-1)
        message("first", due_in=-5)
        message("not-due", due_in=60)
        now = timezone.now()

        claimed = _claim_with_orm(now=now, leased_until=now + lease_duration(), limit=10, using="default")

        self.assertEqual([(m.key, m.attempts) for m in claimed], [("first", 1), ("later", 1)])
        stored = {m.key: m for m in OutboxMessage.objects.all()}
        self.assertEqual((stored["first"].attempts, stored["first"].next_attempt_at), (1, now + lease_duration()))
        self.assertEqual(stored["not-due"].attempts, 0)


class ConcurrentClaimTests(TransactionTestCase):
    def test_a_message_another_replica_holds_locked_is_skipped_not_waited_for(self):
        held, free = message("held"), message("free")
        locked, release = threading.Event(), threading.Event()

        def other_replica() -> None:
            try:
                with connections["default"].cursor() as cursor:
                    cursor.execute("BEGIN")
                    cursor.execute(f"SELECT 1 FROM {OutboxMessage._meta.db_table} WHERE id = %s FOR UPDATE", [held.pk])
                    locked.set()
                    release.wait(10)
                    cursor.execute("ROLLBACK")
            finally:
                connections["default"].close()

        thread = threading.Thread(target=other_replica)
        thread.start()
        try:
            self.assertTrue(locked.wait(10))
            self.assertEqual([m.key for m in outbox_claim_due(limit=10)], ["free"])
        finally:
            release.set()
            thread.join(10)
        self.assertEqual([m.key for m in outbox_claim_due(limit=10)], ["held"])
        attempts = dict(OutboxMessage.objects.filter(pk__in=[held.pk, free.pk]).values_list("key", "attempts"))
        self.assertEqual(attempts, {"held": 1, "free": 1}, "each claimed once")
