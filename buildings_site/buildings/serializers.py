"""Input and output shapes of the buildings API, and of the workflows service's reply."""

from __future__ import annotations

from rest_framework import serializers

from buildings_site.buildings.models import Building
from sitekit.fields import StrictCharField, StrictDateTimeField, StrictIntegerField, StrictUUIDField
from sitekit.serializers import OutputModelSerializer


class BuildingInputSerializer(serializers.Serializer):
    """What a client may send to create or rename a building."""

    name = StrictCharField(min_length=1, max_length=200, trim_whitespace=True)


class BuildingOutputSerializer(OutputModelSerializer):
    """A building as the API shows it, with where its workflow stands."""

    class Meta:
        model = Building
        fields = [
            "id",
            "name",
            "workflow_id",
            "workflow_status",
            "open_workflows",
            "open_alarms",
            "alarms_counted_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class WorkflowReplySerializer(serializers.Serializer):
    """The workflows service's answer to ``workflows.create``."""

    id = StrictIntegerField(min_value=1)
    name = StrictCharField()
    buildingId = StrictIntegerField(min_value=1)  # noqa: N815 - wire contract name


MAX_BUILDING_ID = 2_147_483_647  # a building's id is a PostgreSQL integer


class BuildingDeletedEventSerializer(serializers.Serializer):
    """``building.deleted``, as this site announces it: its workflows are cancelled, its alarms closed."""

    id = StrictUUIDField()
    buildingId = StrictIntegerField(min_value=1, max_value=MAX_BUILDING_ID)  # noqa: N815 - wire name
    deletedAt = StrictDateTimeField(required=False)  # noqa: N815 - always sent; readers default it


class AlarmCountSerializer(serializers.Serializer):
    buildingId = StrictIntegerField(min_value=1, source="building_id")  # noqa: N815 - wire name
    openAlarms = StrictIntegerField(min_value=0, source="open_alarms")  # noqa: N815 - wire name


class AlarmOpenCountsSerializer(serializers.Serializer):
    """``alarms.open_counts`` from the alarms service: buildings whose open alarms changed, counted at ``asOf``."""

    id = StrictUUIDField()
    asOf = StrictDateTimeField(source="as_of")  # noqa: N815 - wire name
    counts = serializers.ListField(child=AlarmCountSerializer(), max_length=1000)
