"""The buildings REST API: validate input, call a service, show the result."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from bridge.retrieve import QuickRetrieveMixin
from buildings_site.buildings import services
from buildings_site.buildings.selectors import building_list
from buildings_site.buildings.serializers import BuildingInputSerializer, BuildingOutputSerializer


class BuildingViewSet(QuickRetrieveMixin, viewsets.ModelViewSet):
    """Buildings. Creating one also asks the workflows service for its first workflow."""

    serializer_class = BuildingOutputSerializer
    filterset_fields = ["workflow_status"]

    def get_queryset(self):
        return building_list()

    @extend_schema(request=BuildingInputSerializer, responses={201: BuildingOutputSerializer})
    def create(self, request: Request) -> Response:
        data = self._valid_input(request, partial=False)
        building = services.building_create_with_workflow(name=data["name"])
        return Response(BuildingOutputSerializer(building).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=BuildingInputSerializer, responses=BuildingOutputSerializer)
    def update(self, request: Request, *args, **kwargs) -> Response:
        building = self.get_object()
        data = self._valid_input(request, partial=kwargs.get("partial", False))
        if "name" in data:
            building = services.building_update(building=building, name=data["name"])
        return Response(BuildingOutputSerializer(building).data)

    def perform_destroy(self, instance) -> None:
        services.building_delete(building=instance)

    @staticmethod
    def _valid_input(request: Request, *, partial: bool) -> dict:
        serializer = BuildingInputSerializer(data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data
