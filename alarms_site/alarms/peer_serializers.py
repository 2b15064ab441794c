"""Shapes of what the other services send the alarms site, and of what it announces to them.

The names are the wire's (camelCase, see docs/nats-contract.md); each field maps to the
snake_case key the services take. The AsyncAPI document's check holds every one to its schema.
"""

from __future__ import annotations

from rest_framework import serializers

from alarms_site.alarms.models import MAX_BUILDING_ID
from sitekit.fields import StrictDateTimeField, StrictIntegerField, StrictUUIDField


class BuildingDeletedEventSerializer(serializers.Serializer):
    """``building.deleted`` from the buildings service: the building's open alarms are closed."""

    id = StrictUUIDField()
    buildingId = StrictIntegerField(  # noqa: N815 - wire name
        min_value=1, max_value=MAX_BUILDING_ID, source="building_id"
    )
    deletedAt = StrictDateTimeField(source="deleted_at")  # noqa: N815 - wire name
