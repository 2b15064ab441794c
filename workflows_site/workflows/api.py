"""The workflows REST API: validate input, call a service, show the result."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from rest_framework.exceptions import APIException

from sitekit.api import ServiceModelViewSet
from workflows_site.workflows import services
from workflows_site.workflows.errors import WorkflowChangeRefused
from workflows_site.workflows.models import Workflow
from workflows_site.workflows.selectors import workflow_list
from workflows_site.workflows.serializers import (
    WorkflowCreateInputSerializer,
    WorkflowInputSerializer,
    WorkflowOutputSerializer,
)


class ChangeRefused(APIException):
    """A change the workflow rules refuse: the refusal's status (400, or 409 for a deleted building), its reason
    under the field it concerns, as DRF shows field errors."""

    default_code = "invalid"

    def __init__(self, refusal: WorkflowChangeRefused) -> None:
        super().__init__({refusal.field: [refusal.message]})
        self.status_code = refusal.status


@contextlib.contextmanager
def refusals_answered() -> Iterator[None]:
    """Turn the services' refusals into error responses."""
    try:
        yield
    except WorkflowChangeRefused as refusal:
        raise ChangeRefused(refusal) from refusal


class WorkflowViewSet(ServiceModelViewSet):
    """Workflows, filterable by ``building_id``, ``kind`` and ``status``.

    A ``status`` in a PUT or PATCH asks for a transition (new -> active -> completed |
    cancelled); any other is a 400 naming both statuses.
    """

    serializer_class = WorkflowOutputSerializer
    input_serializer_class = WorkflowInputSerializer
    create_input_serializer_class = WorkflowCreateInputSerializer
    filterset_fields = ["building_id", "kind", "status"]

    def get_queryset(self):
        return workflow_list()

    def service_create(self, data: dict[str, Any]) -> Workflow:
        with refusals_answered():
            return services.workflow_create(**data)

    def service_update(self, instance: Workflow, data: dict[str, Any]) -> Workflow:
        with refusals_answered():
            return services.workflow_update(workflow=instance, **data)

    def service_delete(self, instance: Workflow) -> None:
        services.workflow_delete(workflow=instance)
