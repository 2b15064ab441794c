"""Shapes of alarms on the NATS wire, the REST API and the live socket, with one set of rules."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from rest_framework import serializers

from alarms_site.alarms.models import MAX_BUILDING_ID, Alarm, JournalEntry, OutOfService, Severity
from alarms_site.alarms.priorities import Priority
from sitekit.fields import StrictCharField, StrictDateTimeField, StrictIntegerField, StrictUUIDField
from sitekit.serializers import OutputModelSerializer, QuerySerializer

MAX_ALARM_ID = 2**63 - 1  # a bigint: anything larger would fail the query, not the validation
# An alarm from year 1 is a broken clock, not history.
EARLIEST_OCCURRED_AT = datetime.fromisoformat("2000-01-01T00:00:00+00:00")


class AlarmEventSerializer(serializers.Serializer):
    """``alarm.created``: ``{"name": str, "buildingId": int}`` as in the seed, plus optional fields.

    ``id`` (the event's UUID; the bridge fills it from ``Nats-Msg-Id`` when absent),
    ``severity`` (default ``minor``), ``occurredAt`` (ISO 8601; default: when received) and
    ``source`` (the point that raised it: while an alarm of the same building, source and name
    is open, the event counts as a repeat of it).
    Every value that passes can be stored, so one bad event never fails a whole batch.
    """

    id = StrictUUIDField()
    name = StrictCharField(min_length=1, max_length=200, trim_whitespace=True)
    buildingId = StrictIntegerField(  # noqa: N815 - wire contract name
        min_value=1, max_value=MAX_BUILDING_ID, source="building_id"
    )
    source = StrictCharField(min_length=1, max_length=200, trim_whitespace=True, required=False)
    severity = serializers.ChoiceField(choices=Severity.choices, default=Severity.MINOR)
    occurredAt = StrictDateTimeField(  # noqa: N815 - wire name
        earliest=EARLIEST_OCCURRED_AT, required=False, source="occurred_at"
    )


class AlarmClearedEventSerializer(serializers.Serializer):
    """``alarm.cleared``: the condition returned to normal.

    It names the alarm by ``alarmEventId`` (the id of the ``alarm.created`` event that raised
    it), or by ``buildingId``, ``source`` and ``name`` (then the open alarm of that key).
    ``id`` is the event's own id (the bridge fills it from ``Nats-Msg-Id`` when absent);
    ``occurredAt`` is optional.
    """

    id = StrictUUIDField()
    alarmEventId = StrictUUIDField(required=False, source="alarm_event_id")  # noqa: N815 - wire name
    buildingId = StrictIntegerField(  # noqa: N815 - wire name
        min_value=1, max_value=MAX_BUILDING_ID, source="building_id", required=False
    )
    source = StrictCharField(min_length=1, max_length=200, trim_whitespace=True, required=False)
    name = StrictCharField(min_length=1, max_length=200, trim_whitespace=True, required=False)
    occurredAt = StrictDateTimeField(  # noqa: N815 - wire name
        earliest=EARLIEST_OCCURRED_AT, required=False, source="occurred_at"
    )

    def validate(self, attrs: dict) -> dict:
        """Exactly one way of naming the alarm: its raise's id, or all of building, source and name."""
        by_key = [attrs.get(field) is not None for field in ("building_id", "source", "name")]
        if "alarm_event_id" in attrs:
            if any(by_key):
                raise serializers.ValidationError("give alarmEventId or buildingId, source and name, not both")
        elif not all(by_key):
            raise serializers.ValidationError("give alarmEventId, or all of buildingId, source and name")
        return attrs


class AlarmOutputSerializer(OutputModelSerializer):
    """An alarm as the REST API and the live page show it."""

    acknowledged = serializers.BooleanField(source="is_acknowledged", read_only=True)
    priority = serializers.ChoiceField(
        choices=Priority.choices, read_only=True, help_text="From the severity, by ALARMS_PRIORITY_BY_SEVERITY."
    )
    shelved = serializers.BooleanField(source="is_shelved", read_only=True)

    class Meta:
        model = Alarm
        fields = [
            "id",
            "event_id",
            "name",
            "building_id",
            "source",
            "severity",
            "priority",
            "state",
            "occurred_at",
            "occurrences",
            "last_occurred_at",
            "received_at",
            "acknowledged",
            "acknowledged_at",
            "acknowledged_by",
            "cleared_at",
            "shelved",
            "shelved_at",
            "shelved_until",
            "shelved_by",
            "shelve_reason",
            "assignee",
            "comments",
            "out_of_service",
            "annunciated",
            "chattering",
            "escalated_at",
            "workflow_id",
        ]
        read_only_fields = fields


class AlarmAcknowledgementSerializer(OutputModelSerializer):
    """What changes when an alarm is acknowledged (live pages apply it to the row they show)."""

    acknowledged = serializers.BooleanField(source="is_acknowledged", read_only=True)

    class Meta:
        model = Alarm
        fields = ["id", "state", "acknowledged", "acknowledged_at", "acknowledged_by"]
        read_only_fields = fields


class JournalEntrySerializer(OutputModelSerializer):
    """One entry of an alarm's journal."""

    class Meta:
        model = JournalEntry
        fields = ["id", "action", "actor", "at", "from_state", "to_state", "note"]
        read_only_fields = fields


class ShelveSerializer(serializers.Serializer):
    """``POST .../shelve/``: a reason, and ``minutes`` for a timed shelve; without, until the alarm clears."""

    reason = StrictCharField(min_length=1, max_length=500, trim_whitespace=True)
    minutes = StrictIntegerField(
        min_value=1,
        max_value=settings.ALARMS_SHELVE_MAX_MINUTES,
        required=False,
        allow_null=True,
        help_text="How long (ALARMS_SHELVE_MAX_MINUTES at most); left out or null: until it clears (one-shot).",
    )


class AssignSerializer(serializers.Serializer):
    """``POST .../assign/``: the username of an active user of the alarms site (409 when there is none)."""

    assignee = StrictCharField(min_length=1, max_length=150)


class CommentSerializer(serializers.Serializer):
    """``POST .../comment/``: the text, kept in the alarm's journal."""

    text = StrictCharField(min_length=1, max_length=2000, trim_whitespace=True)


class OutOfServiceSerializer(serializers.ModelSerializer):
    """A building out of service; ``POST /api/out-of-service/`` takes ``building_id`` and ``reason``."""

    building_id = StrictIntegerField(min_value=1, max_value=MAX_BUILDING_ID)
    reason = StrictCharField(min_length=1, max_length=500, trim_whitespace=True)

    class Meta:
        model = OutOfService
        fields = ["building_id", "since", "by", "reason"]
        read_only_fields = ["since", "by"]


class ErrorSerializer(serializers.Serializer):
    """``{"detail": "..."}``: why an action was refused (409)."""

    detail = serializers.CharField()


class FeedResumeSerializer(serializers.Serializer):
    """A live page (re)connecting: the newest alarm it has, and which of its rows are unacknowledged."""

    type = serializers.ChoiceField(choices=["resume"])
    since = StrictIntegerField(min_value=0, max_value=MAX_ALARM_ID)
    unacknowledged = serializers.ListField(
        child=StrictIntegerField(min_value=1, max_value=MAX_ALARM_ID), max_length=1000, default=list
    )


class PerMinuteQuerySerializer(QuerySerializer):
    """``GET /api/alarms/stats/per-minute/?minutes=60``: how far back, up to a day."""

    minutes = serializers.IntegerField(min_value=1, max_value=24 * 60, default=60)


class MinuteCountsSerializer(serializers.Serializer):
    """Alarms stored in one minute, by severity."""

    minute = serializers.DateTimeField()
    critical = serializers.IntegerField()
    major = serializers.IntegerField()
    minor = serializers.IntegerField()
    warning = serializers.IntegerField()
    info = serializers.IntegerField()
