"""Shapes of what the other services send the alarms site, and of what it announces to them.

The names are the wire's (camelCase, see docs/nats-contract.md); each field maps to the
snake_case key the services take. The AsyncAPI document's check holds every one to its schema.
"""

from __future__ import annotations

from rest_framework import serializers

from alarms_site.alarms.models import MAX_BUILDING_ID
from sitekit.fields import StrictCharField, StrictDateTimeField, StrictIntegerField, StrictUUIDField


class BuildingDeletedEventSerializer(serializers.Serializer):
    """``building.deleted`` from the buildings service: the building's open alarms are closed."""

    id = StrictUUIDField()
    buildingId = StrictIntegerField(  # noqa: N815 - wire name
        min_value=1, max_value=MAX_BUILDING_ID, source="building_id"
    )
    deletedAt = StrictDateTimeField(source="deleted_at", required=False)  # noqa: N815 - wire name; default: when read


class WorkflowReplySerializer(serializers.Serializer):
    """The workflows service's answer to an escalation's ``workflows.create``: the workflow's id is kept.

    Its ``kind`` is not read: an older workflows service leaves it out, and the workflow answers
    a request for a response workflow whatever it says.
    """

    id = StrictIntegerField(min_value=1)
    name = StrictCharField()
    buildingId = StrictIntegerField(min_value=1)  # noqa: N815 - wire name


class AlarmCountSerializer(serializers.Serializer):
    """One building's open (not closed) alarms."""

    buildingId = StrictIntegerField(min_value=1, source="building_id")  # noqa: N815 - wire name
    openAlarms = StrictIntegerField(min_value=0, source="open_alarms")  # noqa: N815 - wire name


class AlarmOpenCountsSerializer(serializers.Serializer):
    """``alarms.open_counts``, as this site announces it: the buildings whose open alarms changed, as of ``asOf``."""

    id = StrictUUIDField()
    asOf = StrictDateTimeField(source="as_of")  # noqa: N815 - wire name
    counts = serializers.ListField(child=AlarmCountSerializer(), max_length=1000)
