"""Idempotent bulk inserts that return exactly the rows they inserted, on the test database."""

from __future__ import annotations

from django.test import TestCase
from django.utils import timezone

from bridge.outbox.models import OutboxMessage
from sitekit.inserts import insert_new


def message(key: str, subject: str = "test.subject") -> OutboxMessage:
    return OutboxMessage(subject=subject, payload={"key": key}, key=key, next_attempt_at=timezone.now())


class InsertNewTests(TestCase):
    def test_it_returns_the_inserted_rows_in_the_order_given_with_their_stored_values(self):
        inserted = insert_new(OutboxMessage, [message("b"), message("a"), message("c")], unique_field="key")

        self.assertEqual([row.key for row in inserted], ["b", "a", "c"])
        self.assertEqual([row.pk for row in inserted], sorted(row.pk for row in inserted))
        stored = OutboxMessage.objects.get(key="a")
        self.assertEqual((stored.pk, stored.payload, stored.attempts), (inserted[1].pk, {"key": "a"}, 0))
        self.assertIsNotNone(inserted[0].created_at)  # auto_now_add filled in as bulk_create would

    def test_it_skips_keys_already_stored_and_repeated_within_the_call(self):
        insert_new(OutboxMessage, [message("known", subject="first")], unique_field="key")

        inserted = insert_new(
            OutboxMessage, [message("known", subject="second"), message("new"), message("new")], unique_field="key"
        )

        self.assertEqual([row.key for row in inserted], ["new"])
        self.assertEqual(OutboxMessage.objects.count(), 2)
        self.assertEqual(OutboxMessage.objects.get(key="known").subject, "first")
        self.assertEqual(insert_new(OutboxMessage, [], unique_field="key"), [])

    def test_it_stores_columns_it_leaves_out_or_prepares_once_as_given(self):
        shared = timezone.now()
        rows = [OutboxMessage(subject="s", payload={"n": n}, key=f"k{n}", next_attempt_at=shared) for n in range(3)]

        inserted = insert_new(OutboxMessage, rows, unique_field="key")

        stored = list(OutboxMessage.objects.order_by("id"))
        self.assertEqual([row.pk for row in inserted], [row.pk for row in stored])
        self.assertEqual({row.next_attempt_at for row in stored}, {shared})  # one value, prepared once
        self.assertEqual([row.payload for row in stored], [{"n": 0}, {"n": 1}, {"n": 2}])  # unhashable values
        self.assertEqual({(row.delivered_at, row.failed_at) for row in stored}, {(None, None)})  # left out: NULL
