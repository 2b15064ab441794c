"""Maintenance workflows take their building out of service (``workflow.status_changed``).

A ``maintenance`` workflow that becomes ``active`` holds its building out of service (holder
"workflow <id>") until it is ``completed`` or ``cancelled``. The building comes back when its
last hold ends (``outofservice.py``), so overlapping maintenance keeps it out until the last
one ends, and staff's own hold is kept apart. Events arrive twice, late or out of order (two
bridges, redeliveries, a workflows service catching up): the newest version applied is kept
per workflow, and an event whose version is not newer changes nothing. Workflows of other
kinds are not the alarms' business.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from alarms_site.alarms.models import MAX_BUILDING_ID, SYSTEM_ACTOR, MaintenanceWorkflow
from alarms_site.alarms.outofservice import building_hold, building_release, lock_building, workflow_holder

MAINTENANCE = "maintenance"
HOLDS = "active"
ENDS = ("completed", "cancelled")


def maintenance_apply(*, events: list[dict[str, Any]]) -> int:
    """Apply validated ``workflow.status_changed`` events, oldest version first; returns how many changed anything."""
    # A building beyond the alarms' building ids has no alarm to take out of service.
    relevant = [e for e in events if e["kind"] == MAINTENANCE and e["building_id"] <= MAX_BUILDING_ID]
    return sum(_apply(event) for event in sorted(relevant, key=lambda e: (e["workflow_id"], e["version"])))


@transaction.atomic
def _apply(event: dict[str, Any]) -> bool:
    """One event, if its version is newer than the workflow's last; under the building's lock, so one at a time."""
    workflow_id, building_id, status = event["workflow_id"], event["building_id"], event["status"]
    lock_building(building_id)
    seen = MaintenanceWorkflow.objects.filter(workflow_id=workflow_id).first()
    if seen is not None and seen.version >= event["version"]:
        return False
    MaintenanceWorkflow.objects.update_or_create(
        workflow_id=workflow_id,
        defaults={
            "building_id": building_id,
            "status": status,
            "version": event["version"],
            "changed_at": event["changed_at"],
        },
    )
    note = f"maintenance workflow {workflow_id} {status}: {event['name']}"
    holder = workflow_holder(workflow_id)
    if status == HOLDS:
        building_hold(building_id=building_id, holder=holder, by=SYSTEM_ACTOR, reason=note)
    elif status in ENDS:
        building_release(building_id=building_id, holders=[holder], by=SYSTEM_ACTOR, note=note)
    return True
