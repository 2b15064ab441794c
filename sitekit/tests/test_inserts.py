"""Idempotent bulk inserts that return exactly the rows they inserted, on the test database."""

from __future__ import annotations

import datetime
from unittest import mock

from django.db import DataError, connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bridge.outbox.models import OutboxMessage
from sitekit.inserts import insert_new
from workflows_site.workflows.models import Workflow, WorkflowStatus


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


class InsertNewAsJsonTests(TestCase):
    """Rows of JSON-native values travel as one JSON document: stored exactly as the ORM stores them."""

    def test_it_stores_what_save_stores(self):
        east = timezone.get_fixed_timezone(150)
        names = ['quote " and \\ backslash', "ünïcødé ✓ 𝄞", "new\nline\ttab", " spaced "]
        given = [
            Workflow(name=name, building_id=2**62 + n, status=WorkflowStatus.ACTIVE, idempotency_key=f"json-{n}")
            for n, name in enumerate(names)
        ]
        saved = [Workflow(name=name, building_id=2**62 + n, status="active") for n, name in enumerate(names)]
        for workflow in saved:
            workflow.save()
        when = datetime.datetime(2026, 5, 1, 12, 0, 0, 7, tzinfo=east)
        Workflow.objects.filter(pk__in=[w.pk for w in saved]).update(created_at=when)
        for workflow in given:
            workflow.created_at = when  # auto_now_add sets it; a value of another zone, microseconds kept
        with (
            mock.patch.object(Workflow._meta.get_field("created_at"), "pre_save", lambda obj, add: obj.created_at),
            CaptureQueriesContext(connection) as queries,
        ):
            inserted = insert_new(Workflow, given, unique_field="idempotency_key")

        self.assertIn("json_to_recordset", queries[-1]["sql"])
        self.assertEqual([w.idempotency_key for w in inserted], [f"json-{n}" for n in range(len(names))])
        columns = ["name", "building_id", "status", "kind", "version", "created_at"]
        stored = list(Workflow.objects.filter(pk__in=[w.pk for w in inserted]).order_by("pk").values_list(*columns))
        expected = list(Workflow.objects.filter(pk__in=[w.pk for w in saved]).order_by("pk").values_list(*columns))
        self.assertEqual(stored, expected)
        self.assertEqual([w.pk for w in inserted], sorted(w.pk for w in inserted))
        self.assertFalse(inserted[0]._state.adding)

    def test_values_json_cannot_carry_go_as_arrays(self):
        with CaptureQueriesContext(connection) as queries:
            insert_new(OutboxMessage, [message("a JSON field's value")], unique_field="key")
        self.assertIn("unnest", queries[-1]["sql"])
        self.assertEqual(OutboxMessage.objects.get().payload, {"key": "a JSON field's value"})

        too_big = Workflow(name="too big", building_id=2**64, idempotency_key="json-too-big")  # beyond orjson's 64 bits
        with CaptureQueriesContext(connection) as queries, self.assertRaises(DataError):
            insert_new(Workflow, [too_big], unique_field="idempotency_key")  # refused, as save() has it refused
        self.assertIn("unnest", queries[-1]["sql"])
