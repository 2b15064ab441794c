"""NATS handlers of alarms_site: take validated payloads, call a service."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from alarms_site.alarms import deletions, escalation, maintenance, metrics, opencounts, services, shelving


def alarms_created(payloads: list[dict[str, Any]]) -> None:
    """``alarm.created``: store a batch of events (one transaction; pushed live after commit)."""
    services.alarm_store_batch(events=payloads)


def alarms_cleared(payloads: list[dict[str, Any]]) -> None:
    """``alarm.cleared``: clear each named alarm; one that names no open alarm is counted, not refused."""
    for payload in payloads:
        if services.alarm_clear_from_event(event=payload) is None:
            metrics.CLEARS_UNMATCHED.inc()


def shelves_expire() -> None:
    """Every few seconds: end the timed shelves whose time is up."""
    shelving.alarm_shelves_expire()


def buildings_deleted(payloads: list[dict[str, Any]]) -> None:
    """``building.deleted``: close each building's open alarms and end its holds (a repeat does nothing)."""
    for payload in payloads:
        deletions.building_deleted(
            building_id=payload["building_id"],
            event_id=payload["id"],
            deleted_at=payload.get("deleted_at") or timezone.now(),
        )


def workflows_changed(payloads: list[dict[str, Any]]) -> None:
    """``workflow.status_changed``: active maintenance holds its building out of service until it ends."""
    maintenance.maintenance_apply(events=payloads)


def escalations_due() -> None:
    """Every few seconds: ask for a response workflow for each alarm nobody acknowledged in time."""
    escalation.alarms_escalate_due()


def response_workflow_created(workflow: dict[str, Any], *, key: str) -> dict[str, Any]:
    """The workflows service answered an escalation's ``workflows.create``: the alarm keeps the workflow's id."""
    escalation.escalation_answered(key=key, workflow_id=workflow["id"])
    return workflow


def response_workflow_refused(payload: dict[str, Any], reason: str, *, key: str) -> None:
    """The workflows service refused an escalation's ``workflows.create`` for good."""
    escalation.escalation_refused(key=key, reason=reason)


def open_counts_publish() -> None:
    """Every few seconds: announce the buildings whose number of open alarms changed."""
    opencounts.open_counts_publish()
