"""Storing batches of alarm events exactly once, acknowledging, and what is pushed live."""

from __future__ import annotations

import threading
import uuid

from django.db import connection
from django.test import TestCase, TransactionTestCase, override_settings

from alarms_site.alarms import services
from alarms_site.alarms.changes import AlarmActionRefused
from alarms_site.alarms.models import Alarm
from alarms_site.alarms.tests.factories import event, stored_alarms
from bridge.testing import NatsTestMixin


def pushed(callbacks) -> list[tuple[str, list[dict]]]:
    """The live messages scheduled by on-commit callbacks: (subject, alarms)."""
    return [(callback.args[0], callback.args[1]["alarms"]) for callback in callbacks]


@override_settings(ALARMS_LIVE_SUBJECT="test.alarms.live")
class StoreBatchTests(TestCase):
    def test_it_stores_a_batch_and_returns_the_new_alarms_oldest_first(self):
        events = [event(name="Fire", building_id=1, severity="critical"), event(name="Door open", building_id=2)]

        new = services.alarm_store_batch(events=events)

        self.assertEqual([alarm.name for alarm in new], ["Fire", "Door open"])
        self.assertLess(new[0].pk, new[1].pk)
        stored = Alarm.objects.get(event_id=events[0]["id"])
        self.assertEqual((stored.building_id, stored.severity), (1, "critical"))
        self.assertEqual(stored.occurred_at, stored.received_at)  # no occurredAt: when received

    def test_it_skips_events_already_stored_and_repeated_within_the_batch(self):
        first = event(name="First")
        services.alarm_store_batch(events=[first])
        again = event(name="Second")

        new = services.alarm_store_batch(events=[first, again, again, {**first, "name": "Changed"}])

        self.assertEqual([alarm.name for alarm in new], ["Second"])
        self.assertEqual(Alarm.objects.count(), 2)
        self.assertEqual(Alarm.objects.get(event_id=first["id"]).name, "First")

    def test_it_pushes_only_the_new_alarms_after_commit(self):
        known = event(name="Known")
        services.alarm_store_batch(events=[known])

        with self.captureOnCommitCallbacks(execute=False) as callbacks:
            services.alarm_store_batch(events=[known, event(name="New")])

        [(subject, alarms)] = pushed(callbacks)
        self.assertEqual(subject, "test.alarms.live.created")
        self.assertEqual([alarm["name"] for alarm in alarms], ["New"])
        self.assertEqual(set(alarms[0]), {
            "id", "event_id", "name", "building_id", "source", "severity", "state", "occurred_at",
            "occurrences", "last_occurred_at", "received_at", "acknowledged", "acknowledged_at",
            "acknowledged_by", "cleared_at", "priority", "shelved", "shelved_at", "shelved_until", "shelved_by",
            "shelve_reason", "assignee", "comments", "out_of_service", "annunciated", "chattering",
            "escalated_at", "workflow_id",
        })  # fmt: skip

    def test_it_pushes_nothing_when_every_event_is_a_duplicate(self):
        known = event()
        services.alarm_store_batch(events=[known])

        with self.captureOnCommitCallbacks(execute=False) as callbacks:
            new = services.alarm_store_batch(events=[known])

        self.assertEqual(new, [])
        self.assertEqual(callbacks, [])

    def test_it_splits_a_large_burst_into_several_live_messages(self):
        with self.captureOnCommitCallbacks(execute=False) as callbacks:
            services.alarm_store_batch(events=[event(name=f"A{i}") for i in range(450)])

        self.assertEqual([len(alarms) for _, alarms in pushed(callbacks)], [200, 200, 50])


@override_settings(ALARMS_LIVE_SUBJECT="test.alarms.live")
class AcknowledgeTests(TestCase):
    def test_it_acknowledges_an_alarm_and_tells_live_pages(self):
        [alarm] = stored_alarms(1)

        with self.captureOnCommitCallbacks(execute=False) as callbacks:
            alarm = services.alarm_acknowledge(alarm=alarm, by="jane")

        self.assertEqual(alarm.acknowledged_by, "jane")
        self.assertIsNotNone(alarm.acknowledged_at)
        [(subject, alarms)] = pushed(callbacks)
        self.assertEqual(subject, "test.alarms.live.acknowledged")
        self.assertEqual(alarms[0]["id"], alarm.pk)
        self.assertIs(alarms[0]["acknowledged"], True)

    def test_it_refuses_a_second_acknowledgement_and_keeps_the_first(self):
        [alarm] = stored_alarms(1)
        first = services.alarm_acknowledge(alarm=alarm, by="jane")

        with (
            self.captureOnCommitCallbacks(execute=False) as callbacks,
            self.assertRaisesMessage(AlarmActionRefused, "is active, acknowledged"),
        ):
            services.alarm_acknowledge(alarm=Alarm.objects.get(pk=alarm.pk), by="joe")

        second = Alarm.objects.get(pk=alarm.pk)
        self.assertEqual((second.acknowledged_by, second.acknowledged_at), ("jane", first.acknowledged_at))
        self.assertEqual(callbacks, [])

    def test_it_acknowledges_many_and_counts_only_those_that_were_open(self):
        alarms = stored_alarms(3)
        services.alarm_acknowledge(alarm=alarms[0], by="jane")

        count = services.alarm_acknowledge_many(alarm_ids=[a.pk for a in alarms], by="ops")

        self.assertEqual(count, 2)
        self.assertEqual(Alarm.objects.filter(acknowledged_by="ops").count(), 2)


@override_settings(ALARMS_LIVE_SUBJECT=f"test.{uuid.uuid4().hex}.alarms.live")
class ConcurrentReplicaTests(NatsTestMixin, TransactionTestCase):
    """Two replicas storing overlapping batches at once, on real PostgreSQL."""

    def test_it_stores_and_reports_each_event_once_across_concurrent_batches(self):
        shared = [event(name=f"Shared {i}") for i in range(200)]
        batches = [shared + [event(name=f"Only A {i}") for i in range(50)], [event(name="Only B"), *reversed(shared)]]
        results: list[list[Alarm]] = [[], []]
        start = threading.Barrier(2)

        def replica(index: int) -> None:
            try:
                start.wait(5)
                results[index] = services.alarm_store_batch(events=batches[index])
            finally:
                connection.close()

        threads = [threading.Thread(target=replica, args=(i,)) for i in (0, 1)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)

        reported = [alarm.event_id for result in results for alarm in result]
        self.assertEqual(len(reported), 251)
        self.assertEqual(len(set(reported)), 251)
        self.assertEqual(Alarm.objects.count(), 251)
