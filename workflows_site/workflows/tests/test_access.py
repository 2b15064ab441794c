"""Who may use the workflows API: anonymous callers, signed-in readers, permitted writers."""

from __future__ import annotations

from django.test import TestCase

from sitekit.testing import ApiAccessChecks, Write
from workflows_site.workflows.models import Workflow


class WorkflowAccessTests(ApiAccessChecks, TestCase):
    collection = "/api/workflows/"
    open_paths = (*ApiAccessChecks.open_paths, "/metrics")

    def existing(self) -> Workflow:
        return Workflow.objects.create(name="Existing", building_id=1)

    def writes(self, workflow: Workflow) -> list[Write]:
        detail = f"/api/workflows/{workflow.pk}/"
        return [
            Write("post", "/api/workflows/", "workflows.add_workflow", 201, {"name": "New", "building_id": 2}),
            Write("put", detail, "workflows.change_workflow", 200, {"name": "Renamed", "building_id": 3}),
            Write("patch", detail, "workflows.change_workflow", 200, {"status": "active"}),
            Write("delete", detail, "workflows.delete_workflow", 204),
        ]
