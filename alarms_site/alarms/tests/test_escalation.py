"""Escalation: an alarm nobody acknowledges in time asks for one response workflow, through the outbox."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import orjson
from django.test import TestCase, TransactionTestCase, override_settings
from django.utils import timezone

from alarms_site.alarms import services
from alarms_site.alarms.deletions import building_deleted
from alarms_site.alarms.escalation import alarms_escalate_due, escalation_key
from alarms_site.alarms.models import Alarm
from alarms_site.alarms.outofservice import building_take_out_of_service
from alarms_site.alarms.shelving import alarm_shelve_many
from alarms_site.alarms.tests.bridging import at_once, relay_once
from alarms_site.alarms.tests.factories import event, stored_alarms
from bridge.outbox.models import OutboxMessage
from bridge.outbox.services import outbox_settle
from bridge.routes import load_routes
from bridge.testing import NatsTestMixin, Responder
from natswire.errors import RemoteError

REPO_ROOT = Path(__file__).resolve().parents[3]
LATER = timedelta(seconds=301)  # past the default delay of 300 s


def check_later() -> int:
    """The scheduled check, run as if the delay had passed since the alarms were stored."""
    return alarms_escalate_due(now=timezone.now() + LATER)


def escalation_journal(alarm: Alarm) -> list[tuple[str, str]]:
    return list(alarm.journal.filter(action="escalate").values_list("actor", "note"))


def reply(message: OutboxMessage, workflow_id: int) -> dict:
    """What the workflows service answers an escalation's request."""
    return {"id": workflow_id, "name": message.payload["name"], "buildingId": message.payload["buildingId"]}


@override_settings(ALARMS_LIVE_SUBJECT="test.alarms.live")
class EscalationTests(TestCase):
    def test_a_high_priority_alarm_unacknowledged_after_the_delay_asks_for_one_response_workflow(self):
        [alarm] = services.alarm_store_batch(events=[event(severity="critical", name="Smoke detected", building_id=7)])

        self.assertEqual(check_later(), 1)
        self.assertEqual(check_later(), 0)

        [message] = OutboxMessage.objects.all()
        self.assertEqual(message.subject, "workflows.create")
        self.assertEqual(message.key, f"alarm-{alarm.event_id}-response")
        self.assertEqual(
            message.payload, {"name": "Respond: Smoke detected (building 7)", "buildingId": 7, "kind": "response"}
        )
        self.assertLessEqual(message.next_attempt_at, timezone.now())  # the relay sends it at once
        escalated = Alarm.objects.get(pk=alarm.pk)
        self.assertEqual(escalated.escalated_at, message.next_attempt_at)
        self.assertEqual(
            escalation_journal(alarm), [("system", "not acknowledged within 300 s: asked for a response workflow")]
        )

    def test_it_waits_for_the_delay(self):
        stored_alarms(1, severity="critical")

        self.assertEqual(alarms_escalate_due(now=timezone.now() + timedelta(seconds=299)), 0)
        self.assertFalse(OutboxMessage.objects.exists())

    def test_acknowledged_low_priority_shelved_and_out_of_service_alarms_do_not_escalate(self):
        acknowledged, shelved = stored_alarms(2, severity="critical", building_id=7)
        services.alarm_acknowledge(alarm=acknowledged, by="kim")
        alarm_shelve_many(alarm_ids=[shelved.pk], by="sam", reason="sensor work", minutes=None)
        stored_alarms(1, severity="major", building_id=7)  # medium priority
        stored_alarms(1, severity="minor", building_id=7)  # low priority
        stored_alarms(1, severity="critical", building_id=8)
        building_take_out_of_service(building_id=8, by="kim", reason="works")

        self.assertEqual(check_later(), 0)
        self.assertFalse(OutboxMessage.objects.exists())

    @override_settings(ALARMS_ESCALATE_PRIORITIES=["high", "medium"], ALARMS_ESCALATE_AFTER_SECONDS=60)
    def test_the_priorities_and_the_delay_are_settings(self):
        stored_alarms(1, severity="major")

        self.assertEqual(alarms_escalate_due(now=timezone.now() + timedelta(seconds=61)), 1)

    @override_settings(ALARMS_ESCALATE_PRIORITIES=[])
    def test_no_priority_no_escalation(self):
        stored_alarms(1, severity="critical")

        self.assertEqual(check_later(), 0)

    def test_a_long_name_is_cut_to_fit_the_workflows_200_characters(self):
        services.alarm_store_batch(events=[event(severity="critical", name="x" * 200, building_id=123456)])

        check_later()

        name = OutboxMessage.objects.get().payload["name"]
        self.assertEqual(len(name), 200)
        self.assertTrue(name.startswith("Respond: xxx") and name.endswith("x… (building 123456)"), name)

    def test_the_answer_stores_the_workflow_on_the_alarm_once_and_journals_it(self):
        [alarm] = stored_alarms(1, severity="critical")
        check_later()
        message = OutboxMessage.objects.get()
        table = load_routes()

        first = outbox_settle(table=table, message=message, reply=reply(message, 41))
        outbox_settle(table=table, message=message, reply=reply(message, 41))  # a second send answered too

        self.assertEqual(first.state, "delivered")
        self.assertEqual(Alarm.objects.get(pk=alarm.pk).workflow_id, 41)
        self.assertEqual(escalation_journal(alarm)[-1], ("system", "response workflow 41"))
        self.assertEqual(len(escalation_journal(alarm)), 2)

    def test_a_refusal_for_good_is_journaled_and_never_asked_again(self):
        [alarm] = stored_alarms(1, severity="critical")
        check_later()
        message = OutboxMessage.objects.get()

        outbox_settle(table=load_routes(), message=message, error=RemoteError(400, "Invalid payload"))
        check_later()

        self.assertEqual(OutboxMessage.objects.get().state, "failed")
        self.assertIn("refused the response workflow: 400: Invalid payload", escalation_journal(alarm)[-1][1])
        self.assertIsNone(Alarm.objects.get(pk=alarm.pk).workflow_id)

    def test_a_deleted_buildings_unsent_requests_are_withdrawn(self):
        stored_alarms(1, severity="critical", building_id=7)
        check_later()

        building_deleted(building_id=7, event_id="7f1d9c1e-2b7a-4f61-9f0e-3c1d2b4a5e6f", deleted_at=timezone.now())

        self.assertFalse(OutboxMessage.objects.exists())


@override_settings(ALARMS_LIVE_SUBJECT="test.alarms.live")
class ConcurrentEscalationTests(NatsTestMixin, TransactionTestCase):
    """Committed changes are pushed live: to a NATS server of the class's own, not whatever runs nearby."""

    def test_two_bridges_checking_at_once_ask_once_per_alarm(self):
        alarms = stored_alarms(20, severity="critical")
        counts, errors = at_once(check_later)

        self.assertEqual(errors, [])
        self.assertEqual(sum(counts), 20)
        keys = sorted(OutboxMessage.objects.values_list("key", flat=True))
        self.assertEqual(keys, sorted(escalation_key(alarm.event_id) for alarm in alarms))
        for alarm in alarms:
            self.assertEqual(len(escalation_journal(alarm)), 1)


@override_settings(ALARMS_LIVE_SUBJECT="test.alarms.live")
class EscalationRelayTests(NatsTestMixin, TransactionTestCase):
    def test_through_a_workflows_outage_the_relay_gets_the_one_workflow_and_the_alarm_keeps_it(self):
        [alarm] = stored_alarms(1, severity="critical")
        check_later()

        self.assertEqual(relay_once(self.nats.url), 1)  # nobody answers workflows.create
        message = OutboxMessage.objects.get()
        self.assertEqual(message.state, "pending")
        OutboxMessage.objects.update(next_attempt_at=timezone.now())

        def answer(body: bytes, headers: dict[str, str]) -> tuple[bytes, dict]:
            request = orjson.loads(body)
            return orjson.dumps({"id": 41, "name": request["name"], "buildingId": request["buildingId"]}), {}

        with Responder(self.nats.url, "workflows.create", answer) as workflows:
            self.assertEqual(relay_once(self.nats.url), 1)
            self.assertEqual(relay_once(self.nats.url), 0)

        [(body, headers)] = workflows.received
        self.assertEqual(headers["Idempotency-Key"], f"alarm-{alarm.event_id}-response")
        self.assertEqual(orjson.loads(body)["kind"], "response")
        self.assertEqual(OutboxMessage.objects.get().state, "delivered")
        self.assertEqual(Alarm.objects.get(pk=alarm.pk).workflow_id, 41)


def test_an_unknown_priority_to_escalate_is_refused_at_start_up():
    environment = {**os.environ, "ALARMS_ESCALATE_PRIORITIES": "high,urgent", "PYTHONPATH": str(REPO_ROOT)}

    started = subprocess.run(
        [sys.executable, "-c", "import alarms_site.settings"], env=environment, capture_output=True, text=True
    )

    assert started.returncode == 1
    assert "ALARMS_ESCALATE_PRIORITIES=high,urgent must name high, medium or low" in started.stderr
