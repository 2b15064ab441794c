"""The buildings REST API: validate input, call a service, show the result."""

from __future__ import annotations

from typing import Any

from buildings_site.buildings import services
from buildings_site.buildings.models import Building
from buildings_site.buildings.selectors import building_list
from buildings_site.buildings.serializers import BuildingInputSerializer, BuildingOutputSerializer
from sitekit.api import ServiceModelViewSet


class BuildingViewSet(ServiceModelViewSet):
    """Buildings. Creating one also asks the workflows service for its first workflow."""

    serializer_class = BuildingOutputSerializer
    input_serializer_class = BuildingInputSerializer
    filterset_fields = ["workflow_status"]

    def get_queryset(self):
        return building_list()

    def service_create(self, data: dict[str, Any]) -> Building:
        return services.building_create_with_workflow(name=data["name"])

    def service_update(self, instance: Building, data: dict[str, Any]) -> Building:
        if "name" in data:
            return services.building_update(building=instance, name=data["name"])
        return instance

    def service_delete(self, instance: Building) -> None:
        services.building_delete(building=instance)
