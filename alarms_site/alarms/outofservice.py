"""Buildings out of service: their alarms are stored and counted, but not annunciated.

A building is out of service while it has at least one hold: staff's (the REST API and the
admin; one per building) or an active maintenance workflow's (one per workflow, see
``maintenance.py``). The first hold marks the building's open alarms ``out_of_service``
(journaled ``out_of_service`` with that hold's reason), and ingest stores its new alarms so
(and not ``annunciated``, which the KPIs count). When the last hold ends its open alarms are
annunciated again (journaled ``return_to_service``). A hold that comes or goes while another
stays changes no alarm: overlapping maintenance keeps a building out until the last ends.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction

from alarms_site.alarms.changes import Change, FollowUp, change_alarms
from alarms_site.alarms.models import STAFF_HOLDER, Action, Alarm, OutOfService, State
from sitekit.locks import hold_transaction_lock

# Advisory lock of one building's service changes (the key adds the building id).
_LOCK_BASE = 7_406_100_000_000


class AlreadyInThatState(Exception):
    """Staff hold the building out of service already, or hold it not at all (the API answers 409)."""


def workflow_holder(workflow_id: int) -> str:
    """The holder name of a maintenance workflow's hold."""
    return f"workflow {workflow_id}"


def lock_building(building_id: int) -> None:
    """Hold, until the transaction ends, the lock that makes one building's service changes one at a time."""
    hold_transaction_lock(_LOCK_BASE + building_id)


@transaction.atomic
def building_hold(*, building_id: int, holder: str, by: str, reason: str) -> OutOfService | None:
    """Add ``holder``'s hold on the building; None when it has one already.

    The first hold of a building takes it out of service, and its open alarms with it.
    """
    lock_building(building_id)
    if OutOfService.objects.filter(building_id=building_id, holder=holder).exists():
        return None
    first = not OutOfService.objects.filter(building_id=building_id).exists()
    record = OutOfService.objects.create(building_id=building_id, holder=holder, by=by, reason=reason)
    if first:
        _mark_open_alarms(building_id, out_of_service=True, by=by, note=reason)
    return record


@transaction.atomic
def building_release(*, building_id: int, holders: list[str] | None = None, by: str, note: str = "") -> int:
    """End the building's holds of ``holders`` (None: all of them); returns how many ended.

    When no hold is left, the building is back in service and its open alarms are annunciated again.
    """
    lock_building(building_id)
    holds = OutOfService.objects.filter(building_id=building_id)
    ended, _ = (holds if holders is None else holds.filter(holder__in=holders)).delete()
    if ended and not holds.exists():
        _mark_open_alarms(building_id, out_of_service=False, by=by, note=note)
    return ended


def building_take_out_of_service(*, building_id: int, by: str, reason: str) -> OutOfService:
    """Staff's hold: take the building out of service (if no maintenance has already)."""
    record = building_hold(building_id=building_id, holder=STAFF_HOLDER, by=by, reason=reason)
    if record is None:
        raise AlreadyInThatState(f"building {building_id} is out of service already")
    return record


def building_return_to_service(*, building_id: int, by: str) -> None:
    """End staff's hold: the building is back in service unless a maintenance workflow still holds it."""
    if not building_release(building_id=building_id, holders=[STAFF_HOLDER], by=by):
        raise AlreadyInThatState(f"building {building_id} is in service")


def buildings_out_of_service() -> set[int]:
    """Ids of the buildings out of service now (ingest reads it once per batch)."""
    return set(OutOfService.objects.values_list("building_id", flat=True))


def staff_holds():
    """Staff's holds, one per building: what the REST API lists and changes."""
    return OutOfService.objects.filter(holder=STAFF_HOLDER)


def _mark_open_alarms(building_id: int, *, out_of_service: bool, by: str, note: str) -> None:
    def refuse(alarm: Alarm) -> str | None:
        return None if alarm.out_of_service != out_of_service else "is marked so already"

    def apply(alarm: Alarm, now: datetime) -> list[FollowUp]:
        alarm.out_of_service = out_of_service
        return []

    action = Action.OUT_OF_SERVICE if out_of_service else Action.RETURN_TO_SERVICE
    open_ids = Alarm.objects.filter(building_id=building_id).exclude(state=State.CLOSED).values_list("id", flat=True)
    change_alarms(
        alarm_ids=open_ids,
        change=Change(action=action, actor=by, note=note, refuse=refuse, apply=apply, fields=("out_of_service",)),
    )
