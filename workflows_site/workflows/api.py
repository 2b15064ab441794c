"""The workflows REST API: validate input, call a service, show the result."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from bridge.retrieve import QuickRetrieveMixin
from workflows_site.workflows import services
from workflows_site.workflows.selectors import workflow_list
from workflows_site.workflows.serializers import WorkflowInputSerializer, WorkflowOutputSerializer


class WorkflowViewSet(QuickRetrieveMixin, viewsets.ModelViewSet):
    """Workflows, filterable by ``building_id`` and ``status``."""

    serializer_class = WorkflowOutputSerializer
    filterset_fields = ["building_id", "status"]

    def get_queryset(self):
        return workflow_list()

    @extend_schema(request=WorkflowInputSerializer, responses={201: WorkflowOutputSerializer})
    def create(self, request: Request) -> Response:
        data = self._valid_input(request, partial=False)
        workflow = services.workflow_create(**data)
        return Response(WorkflowOutputSerializer(workflow).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=WorkflowInputSerializer, responses=WorkflowOutputSerializer)
    def update(self, request: Request, *args, **kwargs) -> Response:
        workflow = self.get_object()
        data = self._valid_input(request, partial=kwargs.get("partial", False))
        workflow = services.workflow_update(workflow=workflow, **data)
        return Response(WorkflowOutputSerializer(workflow).data)

    def perform_destroy(self, instance) -> None:
        services.workflow_delete(workflow=instance)

    @staticmethod
    def _valid_input(request: Request, *, partial: bool) -> dict:
        serializer = WorkflowInputSerializer(data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data
