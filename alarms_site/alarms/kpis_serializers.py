"""Shapes of ``GET /api/alarms/kpis/``: the window asked for, and every KPI of it."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from alarms_site.alarms.kpis import MAX_WINDOW, MIN_WINDOW
from alarms_site.alarms.priorities import Priority
from sitekit.serializers import QuerySerializer

UNITS = {"m": timedelta(minutes=1), "h": timedelta(hours=1), "d": timedelta(days=1)}
# Exactly the windows from MIN_WINDOW to MAX_WINDOW, without leading zeros: 10m to 10080m,
# 1h to 168h, 1d to 7d. The schema says what the API takes, no more (the fuzz test holds it to that).
WINDOW_PATTERN = (
    r"(?:[1-9][0-9]{1,3}|100[0-7][0-9]|10080)m"
    r"|(?:[1-9]|[1-9][0-9]|1[0-5][0-9]|16[0-8])h"
    r"|[1-7]d"
)
DEFAULT_WINDOW = "24h"


@extend_schema_field(
    {
        "type": "string",
        "pattern": f"^(?:{WINDOW_PATTERN})$",
        "description": "How far back: minutes, hours or days (30m, 24h, 7d), from 10 minutes to 7 days.",
        "example": "24h",
    }
)
class WindowField(serializers.Field):
    """A window of time written as a number and a unit: ``30m``, ``24h``, ``7d``; a ``timedelta`` inside."""

    default_error_messages = {"invalid": "Give minutes, hours or days such as 30m, 24h or 7d, from 10m to 7d."}

    def to_internal_value(self, data: Any) -> timedelta:
        if not isinstance(data, str) or not re.fullmatch(WINDOW_PATTERN, data):
            self.fail("invalid")
        window = int(data[:-1]) * UNITS[data[-1]]
        if not MIN_WINDOW <= window <= MAX_WINDOW:  # the pattern says so already; this says why
            self.fail("invalid")
        return window

    def get_default(self) -> timedelta:
        """The default is written as the query string would write it, so the schema shows it so too."""
        return self.to_internal_value(super().get_default())

    def to_representation(self, value: str) -> str:
        return value  # only the default is ever shown, in the schema


class KpisQuerySerializer(QuerySerializer):
    """``GET /api/alarms/kpis/?window=24h``: the window ending now (default a day)."""

    window = WindowField(default=DEFAULT_WINDOW)


class RulesSerializer(serializers.Serializer):
    """The thresholds in force (settings), to draw and to read the figures with."""

    flood_start = serializers.IntegerField(help_text="A flood starts above this many annunciations in the window.")
    flood_end = serializers.IntegerField(help_text="A flood ends below this many annunciations in the window.")
    flood_window_minutes = serializers.IntegerField(help_text="The flood rule's window, and each bucket's length.")
    standing_hours = serializers.IntegerField(help_text="An alarm open longer than this is standing.")


class BucketSerializer(serializers.Serializer):
    """Alarms annunciated in ``(start, end]``: one flood window of the clock, cut to the KPI window."""

    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    count = serializers.IntegerField()


class FloodPeriodSerializer(serializers.Serializer):
    """One flood on during the window (it may have started before it)."""

    start = serializers.DateTimeField()
    end = serializers.DateTimeField(allow_null=True, help_text="null: still on.")
    seconds = serializers.FloatField(help_text="Its whole length so far.")
    peak = serializers.IntegerField(help_text="The most annunciations in one window while it was on.")


class FloodsSerializer(serializers.Serializer):
    """The floods of the window."""

    count = serializers.IntegerField()
    seconds = serializers.FloatField(help_text="Time in flood inside the window.")
    percent = serializers.FloatField(help_text="Share of the window in flood, in %.")
    peak = serializers.IntegerField(help_text="The highest peak of these floods (0: none).")
    periods = FloodPeriodSerializer(many=True)


class BadActorSerializer(serializers.Serializer):
    """A source and its annunciations in the window."""

    building_id = serializers.IntegerField()
    source = serializers.CharField()
    count = serializers.IntegerField()
    share = serializers.FloatField(help_text="Of all annunciations in the window (0 to 1).")


class PriorityShareSerializer(serializers.Serializer):
    """One priority's share of the annunciations, and the guideline's (0 to 1)."""

    priority = serializers.ChoiceField(choices=Priority.choices)
    count = serializers.IntegerField()
    share = serializers.FloatField()
    guideline = serializers.FloatField(help_text="ISA-18.2 / EEMUA 191: 5 % high, 15 % medium, 80 % low.")


class KpisSerializer(serializers.Serializer):
    """The KPIs of ``(start, end]``."""

    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    rules = RulesSerializer()
    annunciated = serializers.IntegerField(help_text="Alarms annunciated in the window.")
    buckets = BucketSerializer(many=True)
    floods = FloodsSerializer()
    standing = serializers.IntegerField(help_text="Alarms open now that were received over standing_hours ago.")
    chattering = serializers.IntegerField(help_text="Alarms marked chattering in the window.")
    bad_actors = BadActorSerializer(many=True, help_text="The 10 sources with the most annunciations, most first.")
    bad_actors_share = serializers.FloatField(help_text="Their share of all annunciations together (0 to 1).")
    priority_mix = PriorityShareSerializer(many=True)
