"""The workflows REST API: validate input, call a service, show the result."""

from __future__ import annotations

from typing import Any

from sitekit.api import ServiceModelViewSet
from workflows_site.workflows import services
from workflows_site.workflows.models import Workflow
from workflows_site.workflows.selectors import workflow_list
from workflows_site.workflows.serializers import WorkflowInputSerializer, WorkflowOutputSerializer


class WorkflowViewSet(ServiceModelViewSet):
    """Workflows, filterable by ``building_id`` and ``status``."""

    serializer_class = WorkflowOutputSerializer
    input_serializer_class = WorkflowInputSerializer
    filterset_fields = ["building_id", "status"]

    def get_queryset(self):
        return workflow_list()

    def service_create(self, data: dict[str, Any]) -> Workflow:
        return services.workflow_create(**data)

    def service_update(self, instance: Workflow, data: dict[str, Any]) -> Workflow:
        return services.workflow_update(workflow=instance, **data)

    def service_delete(self, instance: Workflow) -> None:
        services.workflow_delete(workflow=instance)
