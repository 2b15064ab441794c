"""The buildings' read model: open workflows from workflow events, open alarms from alarm counts."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext

from bridge.outbox.models import OutboxMessage
from buildings_site.buildings import readmodel, services
from buildings_site.buildings.models import Building, WorkflowSeen

AT = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


def changed(workflow_id: int, building_id: int, status: str, version: int) -> dict:
    return {
        "id": uuid.uuid4(), "workflow_id": workflow_id, "building_id": building_id, "kind": "general", "name": "W",
        "status": status, "previous_status": None, "version": version, "changed_at": AT,
    }  # fmt: skip


def counted(as_of: datetime, **open_alarms: int) -> dict:
    counts = [{"building_id": int(key.removeprefix("b")), "open_alarms": value} for key, value in open_alarms.items()]
    return {"id": uuid.uuid4(), "as_of": as_of, "counts": counts}


class OpenWorkflowsTests(TestCase):
    def setUp(self):
        self.building = Building.objects.create(name="HQ")
        self.other = Building.objects.create(name="Annex")

    def open_workflows(self, building: Building) -> int:
        return Building.objects.get(pk=building.pk).open_workflows

    def test_it_counts_new_and_active_workflows_per_building(self):
        b, o = self.building.pk, self.other.pk
        readmodel.workflows_seen_apply([changed(1, b, "new", 1), changed(2, b, "new", 1), changed(3, o, "new", 1)])
        readmodel.workflows_seen_apply([changed(1, b, "active", 2), changed(2, b, "active", 2)])
        readmodel.workflows_seen_apply([changed(2, b, "completed", 3)])

        self.assertEqual((self.open_workflows(self.building), self.open_workflows(self.other)), (1, 1))

    def test_a_late_or_repeated_event_never_takes_a_workflow_back(self):
        b = self.building.pk
        readmodel.workflows_seen_apply([changed(1, b, "new", 1), changed(1, b, "cancelled", 2)])  # one batch
        readmodel.workflows_seen_apply([changed(1, b, "new", 1)])  # redelivered

        self.assertEqual(WorkflowSeen.objects.get().status, "cancelled")
        self.assertEqual(self.open_workflows(self.building), 0)

    def test_events_of_a_deleted_building_change_nothing(self):
        gone = self.other.pk
        services.building_delete(building=self.other)

        readmodel.workflows_seen_apply([changed(3, gone, "new", 1), changed(4, self.building.pk, "new", 1)])

        self.assertFalse(Building.objects.filter(pk=gone).exists())
        self.assertEqual(self.open_workflows(self.building), 1)

    def test_a_batch_locks_the_buildings_then_stores_and_recounts_in_three_statements(self):
        b, o = self.building.pk, self.other.pk
        batch = [changed(5, o, "new", 1), changed(6, b, "active", 1), changed(7, b, "new", 1)]
        with CaptureQueriesContext(connection) as queries:
            readmodel.workflows_seen_apply(batch)

        statements = [query["sql"] for query in queries if not query["sql"].startswith(("SAVEPOINT", "RELEASE"))]
        self.assertEqual(len(statements), 3, statements)
        self.assertTrue(statements[0].endswith("FOR UPDATE"), statements[0])
        self.assertEqual((self.open_workflows(self.building), self.open_workflows(self.other)), (2, 1))


class OpenAlarmsTests(TestCase):
    def test_the_latest_count_wins_whatever_the_order_of_arrival(self):
        building = Building.objects.create(name="HQ")
        key = f"b{building.pk}"

        readmodel.alarm_counts_apply([counted(AT + timedelta(seconds=10), **{key: 7})])
        readmodel.alarm_counts_apply([counted(AT, **{key: 3})])  # older, arriving late

        stored = Building.objects.get(pk=building.pk)
        self.assertEqual((stored.open_alarms, stored.alarms_counted_at), (7, AT + timedelta(seconds=10)))
        readmodel.alarm_counts_apply([counted(AT + timedelta(seconds=20), **{key: 0})])
        self.assertEqual(Building.objects.get(pk=building.pk).open_alarms, 0)

    def test_one_event_sets_every_building_it_names_in_a_few_statements(self):
        buildings = Building.objects.bulk_create(Building(name=f"B{n}") for n in range(readmodel.COUNTS_PER_UPDATE + 5))
        newer = buildings[-1]
        readmodel.alarm_counts_apply([counted(AT + timedelta(minutes=1), **{f"b{newer.pk}": 99})])
        missing = max(b.pk for b in buildings) + 1000  # deleted since: nothing to set
        counts = {f"b{b.pk}": n for n, b in enumerate(buildings)} | {f"b{missing}": 5}

        with self.assertNumQueries(2):  # one per COUNTS_PER_UPDATE buildings
            readmodel.alarm_counts_apply([counted(AT, **counts)])

        stored = dict(Building.objects.values_list("pk", "open_alarms"))
        self.assertEqual(stored, {b.pk: n for n, b in enumerate(buildings)} | {newer.pk: 99})


class BuildingDeletedTests(TestCase):
    def test_deleting_announces_it_once_in_the_same_transaction_and_withdraws_the_first_workflow_request(self):
        building = services.building_create(name="Old depot")
        building_id = building.pk

        services.building_delete(building=building)

        [message] = OutboxMessage.objects.all()
        self.assertEqual((message.subject, message.key), ("building.deleted", f"building-{building_id}-deleted"))
        self.assertEqual(message.payload["buildingId"], building_id)
        uuid.UUID(message.payload["id"])
        datetime.fromisoformat(message.payload["deletedAt"])
        self.assertLessEqual(message.next_attempt_at, datetime.now(UTC))  # the relay takes it at once
