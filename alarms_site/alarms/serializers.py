"""Shapes of alarms on the NATS wire, the REST API and the live socket, with one set of rules."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from django.utils import timezone
from rest_framework import serializers

from alarms_site.alarms.models import MAX_BUILDING_ID, Alarm, Severity
from bridge.fields import StrictCharField, StrictIntegerField
from bridge.serializers import OutputModelSerializer

MAX_ALARM_ID = 2**63 - 1  # a bigint: anything larger would fail the query, not the validation
EARLIEST_OCCURRED_AT = datetime.fromisoformat("2000-01-01T00:00:00+00:00")


class StrictUUIDField(serializers.UUIDField):
    """A UUIDField that accepts only JSON strings (DRF's own turns any integer into a UUID)."""

    def to_internal_value(self, data: Any) -> uuid.UUID:
        if not isinstance(data, str):
            self.fail("invalid", value=data)
        return super().to_internal_value(data)


class StrictDateTimeField(serializers.DateTimeField):
    """An ISO 8601 string within a sane range: an alarm from year 1 is a broken clock, not history."""

    default_error_messages = {"out_of_range": "Must be after 2000-01-01."}

    def __init__(self, **kwargs: Any) -> None:
        # Offsets are kept and converted to the default zone; fixing the zone here spares a
        # look-up of the active one per value, a large share of validating an event.
        kwargs.setdefault("default_timezone", timezone.get_default_timezone())
        super().__init__(**kwargs)

    def to_internal_value(self, value: Any) -> datetime:
        if not isinstance(value, str):
            self.fail("invalid", format="ISO 8601")
        parsed = super().to_internal_value(value)
        if parsed < EARLIEST_OCCURRED_AT:
            self.fail("out_of_range")
        return parsed


class AlarmEventSerializer(serializers.Serializer):
    """``alarm.created``: ``{"name": str, "buildingId": int}`` as in the seed, plus optional fields.

    ``id`` (the event's UUID; the bridge fills it from ``Nats-Msg-Id`` when absent),
    ``severity`` (default ``minor``) and ``occurredAt`` (ISO 8601; default: when received).
    Every value that passes can be stored, so one bad event never fails a whole batch.
    """

    id = StrictUUIDField()
    name = StrictCharField(min_length=1, max_length=200, trim_whitespace=True)
    buildingId = StrictIntegerField(  # noqa: N815 - wire contract name
        min_value=1, max_value=MAX_BUILDING_ID, source="building_id"
    )
    severity = serializers.ChoiceField(choices=Severity.choices, default=Severity.MINOR)
    occurredAt = StrictDateTimeField(required=False, source="occurred_at")  # noqa: N815 - wire name


class AlarmOutputSerializer(OutputModelSerializer):
    """An alarm as the REST API and the live page show it."""

    acknowledged = serializers.BooleanField(source="is_acknowledged", read_only=True)

    class Meta:
        model = Alarm
        fields = [
            "id",
            "event_id",
            "name",
            "building_id",
            "severity",
            "occurred_at",
            "received_at",
            "acknowledged",
            "acknowledged_at",
            "acknowledged_by",
        ]
        read_only_fields = fields


class AlarmAcknowledgementSerializer(OutputModelSerializer):
    """What changes when an alarm is acknowledged (live pages apply it to the row they show)."""

    acknowledged = serializers.BooleanField(source="is_acknowledged", read_only=True)

    class Meta:
        model = Alarm
        fields = ["id", "acknowledged", "acknowledged_at", "acknowledged_by"]
        read_only_fields = fields


class AlarmAcknowledgeInputSerializer(serializers.Serializer):
    """``POST /api/alarms/{id}/acknowledge/``; a signed-in user's name wins over ``acknowledged_by``."""

    acknowledged_by = StrictCharField(required=False, min_length=1, max_length=150, trim_whitespace=True)


class FeedResumeSerializer(serializers.Serializer):
    """A live page (re)connecting: the newest alarm it has, and which of its rows are unacknowledged."""

    type = serializers.ChoiceField(choices=["resume"])
    since = StrictIntegerField(min_value=0, max_value=MAX_ALARM_ID)
    unacknowledged = serializers.ListField(
        child=StrictIntegerField(min_value=1, max_value=MAX_ALARM_ID), max_length=1000, default=list
    )
