"""``alarms.open_counts``: only the buildings whose open alarms changed are announced, once, through the outbox."""

from __future__ import annotations

import uuid

from django.test import TestCase, TransactionTestCase, override_settings
from django.utils import timezone

from alarms_site.alarms import services
from alarms_site.alarms.models import Alarm, PublishedCount
from alarms_site.alarms.opencounts import open_counts_publish
from alarms_site.alarms.peer_serializers import AlarmOpenCountsSerializer
from alarms_site.alarms.tests.bridging import at_once, relay_once, stream_messages
from alarms_site.alarms.tests.factories import stored_alarms
from bridge.dispatch import validate
from bridge.outbox.models import OutboxMessage
from bridge.testing import NatsTestMixin


def announced() -> list[list[tuple[int, int]]]:
    """The counts of each event announced so far, oldest first."""
    events = OutboxMessage.objects.filter(subject="alarms.open_counts").order_by("id")
    return [[(count["buildingId"], count["openAlarms"]) for count in event.payload["counts"]] for event in events]


def close(alarm: Alarm) -> None:
    services.alarm_acknowledge(alarm=alarm, by="kim")
    services.alarm_transition(alarm=alarm, action="clear", actor="system")


@override_settings(ALARMS_LIVE_SUBJECT="test.alarms.live")
class OpenCountsTests(TestCase):
    def test_the_first_run_announces_every_building_with_open_alarms_and_the_next_nothing(self):
        stored_alarms(2, building_id=4)
        [closed] = stored_alarms(1, building_id=5)
        stored_alarms(1, building_id=6)
        close(closed)

        self.assertEqual(open_counts_publish(), 2)
        self.assertEqual(open_counts_publish(), 0)

        self.assertEqual(announced(), [[(4, 2), (6, 1)]])

    def test_it_announces_only_the_buildings_that_changed_a_building_down_to_none_too(self):
        stored_alarms(2, building_id=4)
        [going] = stored_alarms(1, building_id=5)
        stored_alarms(1, building_id=6)
        open_counts_publish()

        stored_alarms(1, building_id=4)
        close(going)
        [back_and_forth] = stored_alarms(1, building_id=6)
        close(back_and_forth)  # 6 is where it was: nothing to say
        open_counts_publish()

        self.assertEqual(announced()[-1], [(4, 3), (5, 0)])
        self.assertEqual(dict(PublishedCount.objects.values_list("building_id", "open_alarms")), {4: 3, 6: 1})

    def test_each_event_is_the_contracts_shape_and_named_by_its_key(self):
        stored_alarms(1, building_id=4)
        before = timezone.now()

        open_counts_publish()

        [message] = OutboxMessage.objects.all()
        self.assertEqual(message.key, f"alarm-counts-{uuid.UUID(message.payload['id'])}")
        valid = validate(AlarmOpenCountsSerializer, message.payload)
        self.assertEqual(valid["counts"], [{"building_id": 4, "open_alarms": 1}])
        self.assertGreaterEqual(valid["as_of"], before)

    def test_more_than_a_thousand_buildings_take_several_events(self):
        now = timezone.now()
        Alarm.objects.bulk_create(
            Alarm(event_id=uuid.uuid4(), name="A", building_id=building_id, occurred_at=now)
            for building_id in range(1, 2502)
        )

        self.assertEqual(open_counts_publish(), 2501)

        self.assertEqual([len(counts) for counts in announced()], [1000, 1000, 501])


@override_settings(ALARMS_LIVE_SUBJECT="test.alarms.live")
class ConcurrentOpenCountsTests(NatsTestMixin, TransactionTestCase):
    """Committed changes are pushed live: to a NATS server of the class's own, not whatever runs nearby."""

    def test_two_bridges_running_at_once_announce_each_change_once(self):
        for building_id in range(1, 51):
            stored_alarms(1, building_id=building_id)
        _, errors = at_once(open_counts_publish)

        self.assertEqual(errors, [])
        self.assertEqual([len(counts) for counts in announced()], [50])


@override_settings(ALARMS_LIVE_SUBJECT="test.alarms.live")
class OpenCountsRelayTests(NatsTestMixin, TransactionTestCase):
    def test_the_relay_publishes_the_counts_onto_alarm_counts_with_the_key_as_message_id(self):
        stored_alarms(3, building_id=4)
        open_counts_publish()

        self.assertEqual(relay_once(self.nats.url), 1)

        [(payload, headers)] = stream_messages(self.nats.url, "ALARM_COUNTS")
        self.assertEqual(payload["counts"], [{"buildingId": 4, "openAlarms": 3}])
        self.assertEqual(headers["Nats-Msg-Id"], f"alarm-counts-{payload['id']}")
        self.assertEqual(OutboxMessage.objects.get().state, "delivered")
