"""Every admin list of the buildings site with 1,000 rows: few queries, no link per value."""

from __future__ import annotations

from django.test import TestCase

from bridge.admin_checks import AdminListChecks
from buildings_site.buildings.models import Building


def many_buildings(count: int) -> None:
    """Buildings, each with its own workflow id."""
    Building.objects.bulk_create(Building(name=f"Building {index}", workflow_id=index + 1) for index in range(count))


class BuildingsAdminListTests(AdminListChecks, TestCase):
    site_rows = {"buildings.Building": many_buildings}
