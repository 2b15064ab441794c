"""Input and output shapes of the buildings API, and of the workflows service's reply."""

from __future__ import annotations

from rest_framework import serializers

from buildings_site.buildings.models import Building
from sitekit.fields import MAX_BIGINT, StrictCharField, StrictDateTimeField, StrictIntegerField, StrictUUIDField
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
# Workflow statuses as the workflows service names them (its ``WorkflowStatus``).
WORKFLOW_STATUSES = ["new", "active", "completed", "cancelled"]
WORKFLOW_KINDS = ["general", "response", "maintenance"]


class BuildingDeletedEventSerializer(serializers.Serializer):
    """``building.deleted``, as this site announces it: its workflows are cancelled, its alarms closed."""

    id = StrictUUIDField()
    buildingId = StrictIntegerField(min_value=1, max_value=MAX_BUILDING_ID)  # noqa: N815 - wire name
    deletedAt = StrictDateTimeField(required=False)  # noqa: N815 - always sent; readers default it


class WorkflowStatusChangedSerializer(serializers.Serializer):
    """``workflow.status_changed`` from the workflows service (creation included: ``previousStatus`` null)."""

    id = StrictUUIDField()
    workflowId = StrictIntegerField(min_value=1, max_value=MAX_BIGINT, source="workflow_id")  # noqa: N815 - wire name
    buildingId = StrictIntegerField(min_value=1, max_value=MAX_BIGINT, source="building_id")  # noqa: N815 - wire name
    kind = serializers.ChoiceField(choices=WORKFLOW_KINDS)
    name = StrictCharField(max_length=200)
    status = serializers.ChoiceField(choices=WORKFLOW_STATUSES)
    previousStatus = serializers.ChoiceField(  # noqa: N815 - wire name
        choices=WORKFLOW_STATUSES, allow_null=True, source="previous_status"
    )
    version = StrictIntegerField(min_value=1, max_value=MAX_BUILDING_ID)  # the workflow's own version is an integer
    changedAt = StrictDateTimeField(source="changed_at")  # noqa: N815 - wire name


class AlarmCountSerializer(serializers.Serializer):
    buildingId = StrictIntegerField(min_value=1, source="building_id")  # noqa: N815 - wire name
    openAlarms = StrictIntegerField(min_value=0, source="open_alarms")  # noqa: N815 - wire name


class AlarmOpenCountsSerializer(serializers.Serializer):
    """``alarms.open_counts`` from the alarms service: buildings whose open alarms changed, counted at ``asOf``."""

    id = StrictUUIDField()
    asOf = StrictDateTimeField(source="as_of")  # noqa: N815 - wire name
    counts = serializers.ListField(child=AlarmCountSerializer(), max_length=1000)
