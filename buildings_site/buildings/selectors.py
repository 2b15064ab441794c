"""Reads on buildings."""

from __future__ import annotations

from django.db.models import QuerySet

from buildings_site.buildings.models import Building


def building_list() -> QuerySet[Building]:
    """All buildings, newest first."""
    return Building.objects.all()
