"""Escalation: an alarm nobody answers asks the workflows service for a response workflow.

An alarm is due when its priority is one of ``ALARMS_ESCALATE_PRIORITIES``, it is still
``active_unacknowledged`` ``ALARMS_ESCALATE_AFTER_SECONDS`` after it was stored, and it is
annunciated now: not shelved, its building in service. A shelved alarm was taken off the list
on purpose and one out of service is under maintenance, so neither calls anyone out; once it
is annunciated again, its delay counts from when it was stored, so it is due at the next check.
The delay counts from ``received_at`` (this service's clock), not from the publisher's
``occurredAt``: an alarm that reached nobody could not be answered.

Each alarms bridge looks for due alarms every ``ALARMS_ESCALATE_CHECK_SECONDS``. A due alarm
is marked ``escalated_at`` and its ``workflows.create`` request stored in this site's outbox in
one transaction, through ``change_alarms`` (rows locked, the rule checked again), so two bridges
looking at once escalate it once. The request's idempotency key ``alarm-<event id>-response``
names the alarm: retries and a workflows service down for a while still make one workflow.
The answer's workflow id is stored on the alarm; both steps are journaled.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from alarms_site.alarms.changes import Change, FollowUp, change_alarms
from alarms_site.alarms.journal import journal_write
from alarms_site.alarms.models import SYSTEM_ACTOR, Action, Alarm, State
from alarms_site.alarms.priorities import severities_of
from bridge.outbox.models import OutboxMessage
from bridge.outbox.services import outbox_enqueue

logger = logging.getLogger(__name__)

WORKFLOWS_CREATE = "workflows.create"
RESPONSE = "response"  # the kind of workflow an escalation asks for
MAX_WORKFLOW_NAME = 200
ESCALATE_AT_ONCE = 100  # alarms escalated per check at most; the next check takes the rest
_KEY_PREFIX, _KEY_SUFFIX = "alarm-", "-response"

# What may be due, whatever the priority and the delay (a partial index covers it).
NOT_ESCALATED = Q(state=State.ACTIVE_UNACKNOWLEDGED, escalated_at__isnull=True)
ANNUNCIATED = Q(shelved_at__isnull=True, out_of_service=False)


def escalation_key(event_id: uuid.UUID | str) -> str:
    """The outbox and idempotency key of an alarm's request for a response workflow."""
    return f"{_KEY_PREFIX}{event_id}{_KEY_SUFFIX}"


def escalation_event_id(key: str) -> uuid.UUID | None:
    """The alarm's event id an escalation key names; None for any other key."""
    if not (key.startswith(_KEY_PREFIX) and key.endswith(_KEY_SUFFIX)):
        return None
    try:
        return uuid.UUID(key.removeprefix(_KEY_PREFIX).removesuffix(_KEY_SUFFIX))
    except ValueError:
        return None


def escalation_request(alarm: Alarm) -> dict[str, object]:
    """The ``workflows.create`` payload for ``alarm``: a response workflow named after it."""
    prefix, suffix = "Respond: ", f" (building {alarm.building_id})"
    room = MAX_WORKFLOW_NAME - len(prefix) - len(suffix)
    name = alarm.name if len(alarm.name) <= room else alarm.name[: room - 1] + "…"
    return {"name": f"{prefix}{name}{suffix}", "buildingId": alarm.building_id, "kind": RESPONSE}


def alarms_escalate_due(*, now: datetime | None = None) -> int:
    """Escalate the alarms due now (the bridge's scheduled check); returns how many were."""
    severities = [severity for priority in settings.ALARMS_ESCALATE_PRIORITIES for severity in severities_of(priority)]
    if not severities:
        return 0
    stored_by = (now or timezone.now()) - timedelta(seconds=settings.ALARMS_ESCALATE_AFTER_SECONDS)
    due = list(
        Alarm.objects.filter(NOT_ESCALATED, ANNUNCIATED, severity__in=severities, received_at__lte=stored_by)
        .order_by("received_at")
        .values_list("id", flat=True)[:ESCALATE_AT_ONCE]
    )
    return len(_escalate(due, severities=severities, stored_by=stored_by)) if due else 0


@transaction.atomic
def _escalate(alarm_ids: Iterable[int], *, severities: list[str], stored_by: datetime) -> list[Alarm]:
    """Mark the alarms escalated and store their requests, in one transaction; those no longer due are skipped."""

    def refuse(alarm: Alarm) -> str | None:
        due = (
            alarm.state == State.ACTIVE_UNACKNOWLEDGED
            and alarm.escalated_at is None
            and alarm.is_annunciated_now
            and alarm.severity in severities
            and alarm.received_at <= stored_by
        )
        return None if due else "is no longer due to escalate"  # acknowledged, shelved or escalated meanwhile

    def apply(alarm: Alarm, now: datetime) -> list[FollowUp]:
        alarm.escalated_at = now
        return []

    note = f"not acknowledged within {settings.ALARMS_ESCALATE_AFTER_SECONDS} s: asked for a response workflow"
    change = Change(
        action=Action.ESCALATE, actor=SYSTEM_ACTOR, note=note, refuse=refuse, apply=apply, fields=("escalated_at",)
    )
    escalated = change_alarms(alarm_ids=alarm_ids, change=change)
    for alarm in escalated:
        # The bridge's relay sends it at once: there is no web process to try first.
        outbox_enqueue(
            subject=WORKFLOWS_CREATE,
            payload=escalation_request(alarm),
            key=escalation_key(alarm.event_id),
            relay_at=alarm.escalated_at,
        )
    return escalated


def escalation_answered(*, key: str, workflow_id: int) -> Alarm | None:
    """The workflows service opened the response workflow: store its id on the alarm, journaled (once)."""
    alarm_id = _alarm_of(key)
    if alarm_id is None:
        return None

    def apply(alarm: Alarm, now: datetime) -> list[FollowUp]:
        alarm.workflow_id = workflow_id
        return []

    change = Change(
        action=Action.ESCALATE,
        actor=SYSTEM_ACTOR,
        note=f"response workflow {workflow_id}",
        refuse=lambda alarm: "has its response workflow already" if alarm.workflow_id else None,
        apply=apply,
        fields=("workflow_id",),
    )
    changed = change_alarms(alarm_ids=[alarm_id], change=change)
    return changed[0] if changed else None


def escalation_refused(*, key: str, reason: str) -> None:
    """The workflows service refused the request for good: the alarm's journal says why; it is not asked again."""
    alarm_id = _alarm_of(key)
    if alarm_id is not None:
        journal_write(
            alarms=[Alarm(pk=alarm_id)],
            action=Action.ESCALATE,
            actor=SYSTEM_ACTOR,
            note=f"the workflows service refused the response workflow: {reason}"[:2000],
        )


def escalations_withdraw(*, building_id: int) -> int:
    """Drop the unsent requests of a building's alarms (the building is gone); returns how many."""
    event_ids = Alarm.objects.filter(building_id=building_id, escalated_at__isnull=False, workflow_id__isnull=True)
    keys = [escalation_key(event_id) for event_id in event_ids.values_list("event_id", flat=True)]
    unsent = OutboxMessage.objects.filter(key__in=keys, delivered_at__isnull=True, failed_at__isnull=True)
    withdrawn, _ = unsent.delete()
    return withdrawn


def _alarm_of(key: str) -> int | None:
    event_id = escalation_event_id(key)
    alarm_id = Alarm.objects.filter(event_id=event_id).values_list("id", flat=True).first() if event_id else None
    if alarm_id is None:
        logger.warning("a workflows.create answer for %s names no alarm here", key)
    return alarm_id
