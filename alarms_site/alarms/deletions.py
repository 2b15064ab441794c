"""A building the buildings service deleted (``building.deleted``): its open alarms close, its holds end.

The deletion is kept (``DeletedBuilding``), so the same deletion delivered twice, or announced
twice, acts once: a second delivery finds it and changes nothing. The alarms close as the
system's, with the note "building deleted", from whatever open state they are in; closing ends
any shelve. The building's holds end last, when no alarm of it is open any more, and the
requests for response workflows its alarms have not sent yet are withdrawn.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime

from django.db import transaction

from alarms_site.alarms.escalation import escalations_withdraw
from alarms_site.alarms.models import SYSTEM_ACTOR, Action, Alarm, DeletedBuilding, State
from alarms_site.alarms.outofservice import building_release
from alarms_site.alarms.services import alarm_transition_many
from sitekit.inserts import insert_new

logger = logging.getLogger(__name__)

CLOSE_NOTE = "building deleted"


@transaction.atomic
def building_deleted(*, building_id: int, event_id: uuid.UUID, deleted_at: datetime) -> bool:
    """Close the building's open alarms and end its holds; False when this deletion was acted on already."""
    recorded = insert_new(
        DeletedBuilding,
        [DeletedBuilding(building_id=building_id, event_id=event_id, deleted_at=deleted_at)],
        unique_field="building_id",
    )
    if not recorded:
        return False
    open_ids = Alarm.objects.filter(building_id=building_id).exclude(state=State.CLOSED).values_list("id", flat=True)
    closed = alarm_transition_many(alarm_ids=open_ids, action=Action.CLOSE, actor=SYSTEM_ACTOR, note=CLOSE_NOTE)
    building_release(building_id=building_id, by=SYSTEM_ACTOR, note=CLOSE_NOTE)
    escalations_withdraw(building_id=building_id)  # no response workflow for a building that is gone
    logger.info("building %s deleted: %d open alarms closed", building_id, len(closed))
    return True
