"""The alarms stored before states existed get theirs from whether they were acknowledged."""

from __future__ import annotations

import uuid

from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import TransactionTestCase
from django.utils import timezone

BEFORE = [("alarms", "0001_initial")]
AFTER = [("alarms", "0002_lifecycle")]


class LifecycleMigrationTests(TransactionTestCase):
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
