"""Reads on workflows."""

from __future__ import annotations

from django.db.models import QuerySet

from workflows_site.workflows.models import Workflow


def workflow_list() -> QuerySet[Workflow]:
    """All workflows, newest first."""
    return Workflow.objects.all()
