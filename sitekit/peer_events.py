"""Readers of the events one service announces and several sites read: written once, so every reader refuses the same.

The names are the wire's (camelCase, see docs/nats-contract.md); each field maps to the
snake_case key the handlers take. The AsyncAPI document's check holds each one to its schema.
"""

from __future__ import annotations

from rest_framework import serializers

from sitekit.fields import MAX_BIGINT, StrictCharField, StrictDateTimeField, StrictIntegerField, StrictUUIDField

# As the workflows service names them (its WorkflowStatus and workflow kinds).
WORKFLOW_STATUSES = ["new", "active", "completed", "cancelled"]
WORKFLOW_KINDS = ["general", "response", "maintenance"]
MAX_VERSION = 2_147_483_647  # a workflow's version is a PostgreSQL integer


class WorkflowStatusChangedSerializer(serializers.Serializer):
    """``workflow.status_changed`` from the workflows service, creation included (``previousStatus`` null).

    The buildings site counts open workflows from it; the alarms site holds a building under
    maintenance out of service.
    """

    id = StrictUUIDField()
    workflowId = StrictIntegerField(min_value=1, max_value=MAX_BIGINT, source="workflow_id")  # noqa: N815 - wire name
    buildingId = StrictIntegerField(min_value=1, max_value=MAX_BIGINT, source="building_id")  # noqa: N815 - wire name
    kind = serializers.ChoiceField(choices=WORKFLOW_KINDS)
    name = StrictCharField(max_length=200)
    status = serializers.ChoiceField(choices=WORKFLOW_STATUSES)
    previousStatus = serializers.ChoiceField(  # noqa: N815 - wire name
        choices=WORKFLOW_STATUSES, allow_null=True, source="previous_status"
    )
    version = StrictIntegerField(min_value=1, max_value=MAX_VERSION)
    changedAt = StrictDateTimeField(source="changed_at")  # noqa: N815 - wire name
