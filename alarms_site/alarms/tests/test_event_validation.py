"""The alarm events' serializers take the quick validation path, and it gives what DRF gives.

Ingest validates every alarm event; a serializer DRF must validate whole (a list field, a
nested serializer) would quietly cost a bridge twice the CPU per event, so it is held here.
"""

from __future__ import annotations

import json
import uuid

from django.test import SimpleTestCase
from rest_framework.exceptions import ValidationError

from alarms_site.alarms.serializers import AlarmClearedEventSerializer, AlarmEventSerializer
from bridge.dispatch import Validator
from natswire.errors import InvalidPayload

RAISED = {"id": str(uuid.UUID(int=1)), "name": " Smoke detector ", "buildingId": 4, "source": "ahu-1/temp"}
CLEARED = {"id": str(uuid.UUID(int=2)), "alarmEventId": str(uuid.UUID(int=1)), "occurredAt": "2026-12-02T10:00:00Z"}


class EventValidationTests(SimpleTestCase):
    def test_the_event_serializers_take_the_quick_path(self):
        for serializer_class in (AlarmEventSerializer, AlarmClearedEventSerializer):
            self.assertTrue(Validator(serializer_class).quick.applies, serializer_class)

    def test_valid_events_get_drfs_validated_data_and_invalid_ones_drfs_errors(self):
        cases = [
            (AlarmEventSerializer, RAISED),
            (AlarmEventSerializer, {**RAISED, "severity": "critical", "occurredAt": "2026-12-02T11:00:00+01:00"}),
            (AlarmEventSerializer, {**RAISED, "name": "   "}),
            (AlarmEventSerializer, {**RAISED, "buildingId": "4"}),
            (AlarmEventSerializer, {**RAISED, "severity": "loud"}),
            (AlarmClearedEventSerializer, CLEARED),
            (AlarmClearedEventSerializer, {**CLEARED, "buildingId": 4}),
            (AlarmClearedEventSerializer, {"id": str(uuid.UUID(int=3)), "buildingId": 4, "source": "s", "name": "n"}),
        ]
        for serializer_class, data in cases:
            with self.subTest(serializer=serializer_class.__name__, data=data):
                try:
                    expected = dict(serializer_class().run_validation(data))
                except ValidationError as refused:
                    with self.assertRaises(InvalidPayload) as caught:
                        Validator(serializer_class)(data)
                    self.assertEqual(caught.exception.errors, json.loads(json.dumps(refused.detail)))
                else:
                    self.assertEqual(Validator(serializer_class)(data), expected)
