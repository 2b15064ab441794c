"""Who may use the buildings API: anonymous callers, signed-in readers, permitted writers."""

from __future__ import annotations

from django.test import TestCase

from buildings_site.buildings.models import Building
from sitekit.testing import ApiAccessChecks, Write


class BuildingAccessTests(ApiAccessChecks, TestCase):
    collection = "/api/buildings/"
    open_paths = (*ApiAccessChecks.open_paths, "/metrics")

    def existing(self) -> Building:
        return Building.objects.create(name="Existing")

    def writes(self, building: Building) -> list[Write]:
        detail = f"/api/buildings/{building.pk}/"
        return [
            Write("post", "/api/buildings/", "buildings.add_building", 201, {"name": "New"}),
            Write("put", detail, "buildings.change_building", 200, {"name": "Renamed"}),
            Write("patch", detail, "buildings.change_building", 200, {"name": "Patched"}),
            Write("delete", detail, "buildings.delete_building", 204),
        ]
