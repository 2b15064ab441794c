"""NATS handlers of buildings_site: parse, then call a service."""

from __future__ import annotations

from typing import Any

from buildings_site.buildings import readmodel, services


def workflow_created(workflow: dict[str, Any]) -> dict[str, Any]:
    """The workflows service answered ``workflows.create``: attach the workflow, and return it."""
    services.building_workflow_attach(building_id=workflow["buildingId"], workflow_id=workflow["id"])
    return workflow


def workflow_refused(payload: dict[str, Any], reason: str) -> None:
    """The workflows service refused ``workflows.create`` for good."""
    services.building_workflow_fail(building_id=payload["buildingId"], reason=reason)


def workflows_changed(payloads: list[dict[str, Any]]) -> None:
    """``workflow.status_changed``: keep each building's open workflows count."""
    readmodel.workflows_seen_apply(payloads)


def alarms_counted(payloads: list[dict[str, Any]]) -> None:
    """``alarms.open_counts``: keep each building's open alarms count."""
    readmodel.alarm_counts_apply(payloads)
