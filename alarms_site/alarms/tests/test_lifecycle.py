"""One open alarm per (building, source, name), the ISA-18.2 states, and the journal."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime, timedelta

from django.db import connection
from django.test import TestCase, TransactionTestCase, override_settings

from alarms_site.alarms import services
from alarms_site.alarms.changes import AlarmActionRefused
from alarms_site.alarms.models import Alarm, JournalEntry, State
from alarms_site.alarms.tests.factories import event
from bridge.testing import NatsTestMixin

AT = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)


def raised(**overrides) -> dict:
    """A raise from ``ahu-3/supply-temp`` in building 7."""
    return event(**{"name": "Supply temperature high", "source": "ahu-3/supply-temp", "occurred_at": AT, **overrides})


def state_of(alarm: Alarm) -> str:
    return Alarm.objects.get(pk=alarm.pk).state


@override_settings(ALARMS_LIVE_SUBJECT="test.alarms.live")
class SourceDedupTests(TestCase):
    def test_it_counts_a_repeat_of_an_open_alarm_on_that_alarm(self):
        [alarm] = services.alarm_store_batch(events=[raised()])

        new = services.alarm_store_batch(events=[raised(occurred_at=AT + timedelta(minutes=5))])

        self.assertEqual(new, [])
        stored = Alarm.objects.get()
        self.assertEqual(
            (stored.pk, stored.occurrences, stored.last_occurred_at), (alarm.pk, 2, AT + timedelta(minutes=5))
        )
        self.assertEqual(stored.occurred_at, AT)

    def test_it_folds_repeats_within_one_batch_and_skips_a_redelivered_repeat(self):
        repeat = raised(occurred_at=AT + timedelta(seconds=30))
        new = services.alarm_store_batch(
            events=[raised(), repeat, repeat, raised(occurred_at=AT + timedelta(seconds=10))]
        )
        services.alarm_store_batch(events=[repeat])

        self.assertEqual(len(new), 1)
        stored = Alarm.objects.get()
        self.assertEqual((stored.occurrences, stored.last_occurred_at), (3, AT + timedelta(seconds=30)))

    def test_it_keeps_one_alarm_per_building_source_and_name(self):
        services.alarm_store_batch(
            events=[raised(), raised(building_id=8), raised(name="Filter dirty"), raised(source="ahu-4")]
        )

        self.assertEqual(Alarm.objects.count(), 4)
        self.assertEqual(set(Alarm.objects.values_list("occurrences", flat=True)), {1})

    def test_events_without_source_are_each_their_own_alarm(self):
        services.alarm_store_batch(events=[event(name="Door open"), event(name="Door open")])

        self.assertEqual(Alarm.objects.filter(name="Door open").count(), 2)

    def test_a_raise_after_the_alarm_closed_opens_a_new_alarm(self):
        [first] = services.alarm_store_batch(events=[raised()])
        services.alarm_acknowledge(alarm=first, by="jane")
        services.alarm_clear_from_event(event={"building_id": 7, "source": "ahu-3/supply-temp", "name": first.name})

        [second] = services.alarm_store_batch(events=[raised()])

        self.assertNotEqual(second.pk, first.pk)
        self.assertEqual((state_of(first), state_of(second)), (State.CLOSED, State.ACTIVE_UNACKNOWLEDGED))

    @override_settings(ALARMS_CHATTER_TRANSITIONS=4)  # raise, clear, raise: 3, which would mark it chattering
    def test_a_raise_of_a_cleared_unacknowledged_alarm_makes_it_active_again_and_is_journaled(self):
        [alarm] = services.alarm_store_batch(events=[raised()])
        services.alarm_clear_from_event(event={"alarm_event_id": alarm.event_id})

        services.alarm_store_batch(events=[raised()])

        self.assertEqual(state_of(alarm), State.ACTIVE_UNACKNOWLEDGED)
        self.assertEqual(
            list(alarm.journal.values_list("action", "actor")), [("clear", "system"), ("reraise", "system")]
        )

    def test_a_repeat_is_pushed_live_as_a_changed_alarm(self):
        services.alarm_store_batch(events=[raised()])

        with self.captureOnCommitCallbacks(execute=False) as callbacks:
            services.alarm_store_batch(events=[raised()])

        [(subject, body)] = [(callback.args[0], callback.args[1]) for callback in callbacks]
        self.assertEqual(subject, "test.alarms.live.changed")
        self.assertEqual(body["alarms"][0]["occurrences"], 2)


@override_settings(ALARMS_LIVE_SUBJECT="test.alarms.live")
class TransitionTests(TestCase):
    def setUp(self):
        [self.alarm] = services.alarm_store_batch(events=[raised()])

    def clear(self) -> Alarm | None:
        return services.alarm_clear_from_event(event={"alarm_event_id": self.alarm.event_id})

    def test_acknowledge_then_clear_closes_the_alarm(self):
        services.alarm_acknowledge(alarm=self.alarm, by="jane")
        self.assertEqual(state_of(self.alarm), State.ACTIVE_ACKNOWLEDGED)

        self.clear()

        self.assertEqual(state_of(self.alarm), State.CLOSED)
        journal = list(self.alarm.journal.values_list("action", "actor", "from_state", "to_state"))
        self.assertEqual(journal, [
            ("acknowledge", "jane", State.ACTIVE_UNACKNOWLEDGED, State.ACTIVE_ACKNOWLEDGED),
            ("clear", "system", State.ACTIVE_ACKNOWLEDGED, State.CLOSED),
        ])  # fmt: skip

    def test_clear_then_acknowledge_closes_the_alarm(self):
        self.clear()
        self.assertEqual(state_of(self.alarm), State.CLEARED_UNACKNOWLEDGED)
        self.assertIsNotNone(Alarm.objects.get(pk=self.alarm.pk).cleared_at)

        services.alarm_acknowledge(alarm=self.alarm, by="jane")

        self.assertEqual(state_of(self.alarm), State.CLOSED)

    def test_it_refuses_every_action_the_state_does_not_allow(self):
        refused = {
            State.ACTIVE_ACKNOWLEDGED: ["acknowledge"],
            State.CLEARED_UNACKNOWLEDGED: ["clear"],
            State.CLOSED: ["acknowledge", "clear"],
        }
        for state, actions in refused.items():
            Alarm.objects.filter(pk=self.alarm.pk).update(state=state)
            for action in actions:
                with self.subTest(state=state, action=action):
                    with self.assertRaises(AlarmActionRefused):
                        services.alarm_transition(alarm=self.alarm, action=action, actor="jane")
                    self.assertEqual(state_of(self.alarm), state)
        self.assertEqual(JournalEntry.objects.count(), 0)

    def test_a_clear_that_matches_no_open_alarm_changes_nothing(self):
        self.assertIsNone(services.alarm_clear_from_event(event={"building_id": 7, "source": "nowhere", "name": "x"}))
        self.assertIsNone(services.alarm_clear_from_event(event={"alarm_event_id": uuid.uuid4()}))
        self.clear()
        self.assertIsNone(self.clear())  # cleared already

    def test_bulk_acknowledge_skips_the_alarms_it_does_not_apply_to(self):
        [other] = services.alarm_store_batch(events=[raised(source="ahu-9")])
        services.alarm_acknowledge(alarm=other, by="jane")

        count = services.alarm_acknowledge_many(alarm_ids=[self.alarm.pk, other.pk], by="ops")

        self.assertEqual(count, 1)
        self.assertEqual(Alarm.objects.get(pk=other.pk).acknowledged_by, "jane")


@override_settings(ALARMS_LIVE_SUBJECT=f"test.{uuid.uuid4().hex}.alarms.live")
class RacingReplicaTests(NatsTestMixin, TransactionTestCase):
    """Two alarms bridges storing raises of one (building, source, name) at once, on real PostgreSQL."""

    def test_two_replicas_racing_on_one_source_leave_exactly_one_open_alarm(self):
        for round_ in range(5):
            source = f"racing-{round_}"
            batches = [[raised(source=source) for _ in range(20)] for _ in range(2)]
            start = threading.Barrier(2)

            def replica(index: int, batches=batches, start=start) -> None:
                try:
                    start.wait(5)
                    services.alarm_store_batch(events=batches[index])
                finally:
                    connection.close()

            threads = [threading.Thread(target=replica, args=(i,)) for i in (0, 1)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(30)

            [alarm] = Alarm.objects.filter(source=source)
            self.assertEqual(alarm.occurrences, 40)
