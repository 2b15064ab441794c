"""Shapes of workflows on the REST API and on the NATS wire, with one set of rules."""

from __future__ import annotations

from rest_framework import serializers

from sitekit.fields import MAX_BIGINT, StrictCharField, StrictIntegerField
from sitekit.serializers import OutputModelSerializer
from workflows_site.workflows.models import Workflow, WorkflowStatus


class WorkflowInputSerializer(serializers.Serializer):
    """What a REST client may send to create or change a workflow."""

    name = StrictCharField(min_length=1, max_length=200)
    building_id = StrictIntegerField(min_value=1, max_value=MAX_BIGINT)
    status = serializers.ChoiceField(choices=WorkflowStatus.choices, required=False)


class WorkflowCreateMessageSerializer(WorkflowInputSerializer):
    """``workflows.create`` request: ``{"name": str, "buildingId": int}`` (the seed's contract)."""

    building_id = None
    status = None
    buildingId = StrictIntegerField(min_value=1, max_value=MAX_BIGINT, source="building_id")  # noqa: N815 - wire name


class WorkflowOutputSerializer(OutputModelSerializer):
    """A workflow as the REST API shows it."""

    class Meta:
        model = Workflow
        fields = ["id", "name", "building_id", "status", "created_at", "updated_at"]
        read_only_fields = fields


class WorkflowReplySerializer(OutputModelSerializer):
    """``workflows.create`` reply: ``{"id": int, "name": str, "buildingId": int}``."""

    buildingId = serializers.IntegerField(source="building_id")  # noqa: N815 - wire name

    class Meta:
        model = Workflow
        fields = ["id", "name", "buildingId"]
