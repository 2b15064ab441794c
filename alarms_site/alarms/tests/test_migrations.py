"""The alarms stored before states existed get theirs from whether they were acknowledged."""

from __future__ import annotations

import uuid

from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import TransactionTestCase
from django.utils import timezone

BEFORE = [("alarms", "0001_initial")]
AFTER = [("alarms", "0002_lifecycle")]
OPERATOR = [("alarms", "0003_operator_actions")]
HOLDS = [("alarms", "0004_service_holds")]


class LifecycleMigrationTests(TransactionTestCase):
    def tearDown(self):
        """Back to the latest migration, for the tests that follow on this database."""
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes("alarms"))
        super().tearDown()

    def test_acknowledged_alarms_become_active_acknowledged_and_the_others_active_unacknowledged(self):
        executor = MigrationExecutor(connection)
        executor.migrate(BEFORE)
        old = executor.loader.project_state(BEFORE).apps.get_model("alarms", "Alarm")
        now = timezone.now()
        acknowledged = old.objects.create(
            event_id=uuid.uuid4(), name="A", building_id=1, occurred_at=now, acknowledged_at=now, acknowledged_by="jane"
        )
        open_ = old.objects.create(event_id=uuid.uuid4(), name="B", building_id=1, occurred_at=now)

        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(AFTER)

        new = executor.loader.project_state(AFTER).apps.get_model("alarms", "Alarm")
        self.assertEqual(new.objects.get(pk=acknowledged.pk).state, "active_acknowledged")
        self.assertEqual(new.objects.get(pk=open_.pk).state, "active_unacknowledged")
        self.assertEqual(new.objects.get(pk=open_.pk).occurrences, 1)

    def test_the_operator_columns_get_their_defaults_on_existing_alarms(self):
        executor = MigrationExecutor(connection)
        executor.migrate(AFTER)
        old = executor.loader.project_state(AFTER).apps.get_model("alarms", "Alarm")
        alarm = old.objects.create(event_id=uuid.uuid4(), name="A", building_id=1, occurred_at=timezone.now())

        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(OPERATOR)

        new = executor.loader.project_state(OPERATOR).apps.get_model("alarms", "Alarm").objects.get(pk=alarm.pk)
        self.assertEqual(
            (new.shelved_at, new.assignee, new.comments, new.out_of_service, new.annunciated, new.chattering),
            (None, "", 0, False, True, False),
        )

    def test_buildings_out_of_service_become_staffs_holds(self):
        executor = MigrationExecutor(connection)
        executor.migrate(OPERATOR)
        old = executor.loader.project_state(OPERATOR).apps.get_model("alarms", "OutOfService")
        old.objects.create(building_id=4, by="kim", reason="refurbishment")

        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(HOLDS)

        new = executor.loader.project_state(HOLDS).apps.get_model("alarms", "OutOfService")
        self.assertEqual(
            list(new.objects.values_list("building_id", "holder", "by", "reason")),
            [(4, "staff", "kim", "refurbishment")],
        )
