"""Every admin list of the buildings site with 1,000 rows: few queries, no link per value."""

from __future__ import annotations

from django.test import TestCase

from bridge.outbox.testing import OUTBOX_ROWS
from buildings_site.buildings.models import Building
from sitekit.admin_checks import AdminListChecks


def many_buildings(count: int) -> None:
    """Buildings, each with its own workflow id."""
    Building.objects.bulk_create(Building(name=f"Building {index}", workflow_id=index + 1) for index in range(count))


class BuildingsAdminListTests(AdminListChecks, TestCase):
    site_rows = {**OUTBOX_ROWS, "buildings.Building": many_buildings}
