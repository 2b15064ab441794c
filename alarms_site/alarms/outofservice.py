"""Buildings out of service: their alarms are stored and counted, but not annunciated.

Taking a building out of service marks its open alarms ``out_of_service``, and ingest stores
its new alarms so (and not ``annunciated``, which the KPIs count); back in service, its
open alarms are annunciated again. Each alarm's journal says so.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction

from alarms_site.alarms.changes import Change, FollowUp, change_alarms
from alarms_site.alarms.models import Action, Alarm, OutOfService, State
from sitekit.locks import hold_transaction_lock

# Advisory lock of one building's service changes (the key adds the building id).
_LOCK_BASE = 7_406_100_000_000


class AlreadyInThatState(Exception):
    """The building is already out of service, or already in service (the API answers 409)."""


@transaction.atomic
def building_take_out_of_service(*, building_id: int, by: str, reason: str) -> OutOfService:
    """Take the building out of service; its open alarms stop being annunciated."""
    hold_transaction_lock(_LOCK_BASE + building_id)
    if OutOfService.objects.filter(building_id=building_id).exists():
        raise AlreadyInThatState(f"building {building_id} is out of service already")
    record = OutOfService.objects.create(building_id=building_id, by=by, reason=reason)
    _mark_open_alarms(building_id, out_of_service=True, by=by, note=reason)
    return record


@transaction.atomic
def building_return_to_service(*, building_id: int, by: str) -> None:
    """Put the building back in service; its open alarms are annunciated again."""
    hold_transaction_lock(_LOCK_BASE + building_id)
    deleted, _ = OutOfService.objects.filter(building_id=building_id).delete()
    if not deleted:
        raise AlreadyInThatState(f"building {building_id} is in service")
    _mark_open_alarms(building_id, out_of_service=False, by=by, note="")


def buildings_out_of_service() -> set[int]:
    """Ids of the buildings out of service now (ingest reads it once per batch)."""
    return set(OutOfService.objects.values_list("building_id", flat=True))


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
