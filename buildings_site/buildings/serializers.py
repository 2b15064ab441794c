"""Input and output shapes of the buildings API, and of the workflows service's reply."""

from __future__ import annotations

from rest_framework import serializers

from buildings_site.buildings.models import Building
from sitekit.fields import StrictCharField, StrictIntegerField
from sitekit.serializers import OutputModelSerializer


class BuildingInputSerializer(serializers.Serializer):
    """What a client may send to create or rename a building."""

    name = StrictCharField(min_length=1, max_length=200, trim_whitespace=True)


class BuildingOutputSerializer(OutputModelSerializer):
    """A building as the API shows it, with where its workflow stands."""

    class Meta:
        model = Building
        fields = ["id", "name", "workflow_id", "workflow_status", "created_at", "updated_at"]
        read_only_fields = fields


class WorkflowReplySerializer(serializers.Serializer):
    """The workflows service's answer to ``workflows.create``."""

    id = StrictIntegerField(min_value=1)
    name = StrictCharField()
    buildingId = StrictIntegerField(min_value=1)  # noqa: N815 - wire contract name
