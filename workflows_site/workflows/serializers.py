"""Shapes of workflows on the REST API and on the NATS wire, with one set of rules."""

from __future__ import annotations

from rest_framework import serializers

from sitekit.fields import MAX_BIGINT, StrictCharField, StrictDateTimeField, StrictIntegerField, StrictUUIDField
from sitekit.serializers import OutputModelSerializer
from workflows_site.workflows.models import Workflow, WorkflowKind, WorkflowStatus


class WorkflowInputSerializer(serializers.Serializer):
    """What a REST client may send to create or change a workflow.

    ``kind`` is chosen at creation (default ``general``); ``status`` asks for a transition,
    checked by the services (a new workflow starts as ``new``).
    """

    name = StrictCharField(min_length=1, max_length=200)
    building_id = StrictIntegerField(min_value=1, max_value=MAX_BIGINT)
    kind = serializers.ChoiceField(choices=WorkflowKind.choices, required=False)
    status = serializers.ChoiceField(choices=WorkflowStatus.choices, required=False)


class WorkflowCreateInputSerializer(WorkflowInputSerializer):
    """What a REST client may send to create a workflow: it starts as ``new``, so ``status`` may only say so."""

    status = serializers.ChoiceField(
        choices=[WorkflowStatus.NEW],
        required=False,
        error_messages={"invalid_choice": "a workflow starts as new, not {input}: create it, then move it on"},
    )


class WorkflowCreateMessageSerializer(WorkflowInputSerializer):
    """``workflows.create`` request: ``{"name": str, "buildingId": int}`` (the seed's contract), optional ``kind``."""

    building_id = None
    status = None
    buildingId = StrictIntegerField(min_value=1, max_value=MAX_BIGINT, source="building_id")  # noqa: N815 - wire name


class WorkflowTransitionMessageSerializer(serializers.Serializer):
    """``workflows.transition`` request: ``{"id": int, "status": str}``, the workflow and the status it moves to."""

    id = StrictIntegerField(min_value=1, max_value=MAX_BIGINT)
    status = serializers.ChoiceField(choices=WorkflowStatus.choices)


class WorkflowOutputSerializer(OutputModelSerializer):
    """A workflow as the REST API shows it."""

    class Meta:
        model = Workflow
        fields = ["id", "name", "building_id", "kind", "status", "version", "created_at", "updated_at"]
        read_only_fields = fields


class WorkflowReplySerializer(OutputModelSerializer):
    """``workflows.create`` and ``workflows.transition`` reply: ``{"id", "name", "buildingId", "kind", "status"}``."""

    buildingId = serializers.IntegerField(source="building_id")  # noqa: N815 - wire name

    class Meta:
        model = Workflow
        fields = ["id", "name", "buildingId", "kind", "status"]


class WorkflowStatusChangedSerializer(serializers.Serializer):
    """``workflow.status_changed``, as ``announcements.status_changed_payload`` builds it (for the AsyncAPI check).

    ``previousStatus`` is null for a creation; ``version`` is 1 then and one more with each
    change, so a reader applies an event only when it is newer than the one it holds.
    """

    id = serializers.UUIDField()
    workflowId = serializers.IntegerField(min_value=1)  # noqa: N815 - wire name
    buildingId = serializers.IntegerField(min_value=1)  # noqa: N815 - wire name
    kind = serializers.ChoiceField(choices=WorkflowKind.choices)
    name = serializers.CharField(min_length=1, max_length=200)
    status = serializers.ChoiceField(choices=WorkflowStatus.choices)
    previousStatus = serializers.ChoiceField(choices=WorkflowStatus.choices, allow_null=True)  # noqa: N815 - wire name
    version = serializers.IntegerField(min_value=1)
    changedAt = serializers.DateTimeField()  # noqa: N815 - wire name


class BuildingDeletedEventSerializer(serializers.Serializer):
    """``building.deleted`` as this site reads it: ``{"id": uuid, "buildingId": int, "deletedAt": ISO 8601}``.

    ``id`` is the event's own id (the bridge fills it from ``Nats-Msg-Id`` when absent);
    ``deletedAt`` defaults to when the event is read.
    """

    id = StrictUUIDField()
    buildingId = StrictIntegerField(min_value=1, max_value=MAX_BIGINT, source="building_id")  # noqa: N815 - wire name
    deletedAt = StrictDateTimeField(required=False, source="deleted_at")  # noqa: N815 - wire name
