"""Writes on alarms: storing a batch of events exactly once, and the state transitions."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db import OperationalError, transaction
from django.utils import timezone

from alarms_site.alarms import live
from alarms_site.alarms.changes import SHELVE_FIELDS, Change, FollowUp, change_alarms
from alarms_site.alarms.chattering import chattering_mark
from alarms_site.alarms.journal import journal_write
from alarms_site.alarms.models import SYSTEM_ACTOR, Action, Alarm, State
from alarms_site.alarms.outofservice import buildings_out_of_service
from alarms_site.alarms.shelving import shelve_ends_with
from alarms_site.alarms.upserts import upsert_sourced
from sitekit.inserts import insert_new
from sitekit.instances import new_instances
from sitekit.locks import hold_transaction_lock

logger = logging.getLogger(__name__)

# Key of the PostgreSQL advisory lock a batch takes when it is tried again after a deadlock.
_INGEST_LOCK = 7_406_001
_DEADLOCK = "40P01"  # PostgreSQL's SQLSTATE for "deadlock detected"


def alarm_store_batch(*, events: list[dict[str, Any]]) -> list[Alarm]:
    """Store validated ``alarm.created`` payloads in one statement; returns the alarms that are new.

    Events already stored (a redelivery, a re-publish, the same event twice in a batch) are
    skipped by the unique ``event_id``, and only the new alarms are pushed live, once, after
    commit: a duplicate handled by another replica is pushed by neither. Replicas insert
    side by side; ids follow commit order closely (a batch commits within milliseconds),
    which the live page's catch-up allows for (``selectors.REPLAY_MARGIN``).

    Two replicas storing overlapping batches in different orders (redeliveries) can
    deadlock on each other's uncommitted rows; PostgreSQL then aborts one, which tries
    again at once holding a lock that lets one such retry in at a time.
    """
    try:
        return _store_batch(events=events, serialized=False)
    except OperationalError as error:
        if getattr(error.__cause__, "sqlstate", None) != _DEADLOCK:
            raise
        logger.info("alarm batch deadlocked with another replica's; storing it again")
        return _store_batch(events=events, serialized=True)


def _store_batch(*, events: list[dict[str, Any]], serialized: bool) -> list[Alarm]:
    if not events:
        return []
    received_at = timezone.now()
    out_of_service = buildings_out_of_service()  # one small query: few buildings are
    rows: dict[Any, dict[str, Any]] = {}
    sourced: list[dict[str, Any]] = []
    for event in events:
        if event.get("source"):
            sourced.append({**event, "occurred_at": event.get("occurred_at") or received_at})
            continue
        suppressed = event["building_id"] in out_of_service
        rows.setdefault(
            event["id"],
            {
                "event_id": event["id"],
                "name": event["name"],
                "building_id": event["building_id"],
                "severity": event["severity"],
                "occurred_at": event.get("occurred_at") or received_at,
                "last_occurred_at": event.get("occurred_at") or received_at,
                "received_at": received_at,
                "out_of_service": suppressed,
                "annunciated": not suppressed,
            },
        )
    alarms = new_instances(Alarm, rows.values())
    # A batch without sources is one INSERT, atomic by itself: no BEGIN and COMMIT round trips.
    # A retry needs a transaction to hold its lock; sourced raises, to journal a re-raise with them.
    atomic = serialized or bool(sourced)
    with transaction.atomic() if atomic else contextlib.nullcontext():
        if serialized:
            hold_transaction_lock(_INGEST_LOCK)
        new = insert_new(Alarm, alarms, unique_field="event_id") if alarms else []
        upserted = upsert_sourced(sourced, received_at=received_at, out_of_service=out_of_service)
        if upserted.reraised:
            journal_write(alarms=upserted.reraised, action=Action.RERAISE, actor=SYSTEM_ACTOR,
                          from_state=State.CLEARED_UNACKNOWLEDGED, to_state=State.ACTIVE_UNACKNOWLEDGED)  # fmt: skip
        new = sorted([*new, *upserted.opened], key=lambda alarm: alarm.pk)
        live.push_created(new)  # once committed: at once when the INSERT was the transaction
        if upserted.repeated:
            live.push_changed(upserted.repeated)
        if upserted.reraised:
            chattering_mark(upserted.reraised)
    if len(new) < len(events):
        logger.info("stored %d new alarms, %d repeats or already known", len(new), len(events) - len(new))
    return new


def alarm_acknowledge(*, alarm: Alarm, by: str) -> Alarm:
    """Acknowledge an alarm as ``by``; ``AlarmActionRefused`` when its state does not allow it."""
    return alarm_transition(alarm=alarm, action=Action.ACKNOWLEDGE, actor=by)


def alarm_acknowledge_many(*, alarm_ids: Iterable[int], by: str) -> int:
    """Acknowledge those of the alarms not acknowledged yet; returns how many were."""
    return len(alarm_transition_many(alarm_ids=alarm_ids, action=Action.ACKNOWLEDGE, actor=by))


def alarm_transition(*, alarm: Alarm, action: str, actor: str, note: str = "") -> Alarm:
    """Make one state transition on one alarm; ``AlarmActionRefused`` (409) when the state does not allow it."""
    changed = alarm_transition_many(alarm_ids=[alarm.pk], action=action, actor=actor, note=note, strict=True)
    return changed[0] if changed else alarm


@transaction.atomic
def alarm_transition_many(
    *, alarm_ids: Iterable[int], action: str, actor: str, note: str = "", strict: bool = False
) -> list[Alarm]:
    """The one place an alarm changes state: checked against ``TRANSITIONS``, journaled, pushed live.

    An acknowledgement and a clear arriving together are applied one after the other, each
    to the state the other left. Alarms whose state does not allow ``action`` are skipped,
    or, with ``strict``, refuse the whole call. A clear ends a one-shot shelve, and closing
    ends any shelve; a clear may show the alarm is chattering.
    """

    def refuse(alarm: Alarm) -> str | None:
        return None if (alarm.state, action) in TRANSITIONS else f"is {State(alarm.state).label.lower()}"

    def apply(alarm: Alarm, now: datetime) -> list[FollowUp]:
        alarm.state = TRANSITIONS[(alarm.state, action)]
        if action == Action.ACKNOWLEDGE:
            alarm.acknowledged_at, alarm.acknowledged_by = now, actor
        elif action == Action.CLEAR:
            alarm.cleared_at = now
        return shelve_ends_with(alarm, action=action)

    change = Change(
        action=action,
        actor=actor,
        note=note,
        refuse=refuse,
        apply=apply,
        fields=("state", "acknowledged_at", "acknowledged_by", "cleared_at", *SHELVE_FIELDS),
        push=live.push_acknowledged if action == Action.ACKNOWLEDGE else live.push_changed,
    )
    changed = change_alarms(alarm_ids=alarm_ids, change=change, strict=strict)
    if action == Action.CLEAR:
        chattering_mark(changed)
    return changed


def alarm_clear_from_event(*, event: dict[str, Any]) -> Alarm | None:
    """``alarm.cleared``: clear the open alarm the event names; None when it names no open alarm.

    The event names the alarm by ``alarm_event_id`` (the raise's id) or by its
    (building, source, name). A clear that finds no open alarm (its raise not stored yet, or
    already cleared) is counted by the caller, not an error: clears repeat and arrive late.
    """
    if event.get("alarm_event_id"):
        found = Alarm.objects.filter(event_id=event["alarm_event_id"])
    else:
        found = Alarm.objects.filter(building_id=event["building_id"], source=event["source"], name=event["name"])
    alarm = found.filter(state__in=CLEARABLE).order_by("-id").first()
    if alarm is None:
        return None
    changed = alarm_transition_many(alarm_ids=[alarm.pk], action=Action.CLEAR, actor=SYSTEM_ACTOR)
    return changed[0] if changed else None


# (state, action) -> the state it leads to, per ISA-18.2. Anything else is refused.
TRANSITIONS: dict[tuple[str, str], str] = {
    (State.ACTIVE_UNACKNOWLEDGED, Action.ACKNOWLEDGE): State.ACTIVE_ACKNOWLEDGED,
    (State.ACTIVE_UNACKNOWLEDGED, Action.CLEAR): State.CLEARED_UNACKNOWLEDGED,
    (State.ACTIVE_ACKNOWLEDGED, Action.CLEAR): State.CLOSED,
    (State.CLEARED_UNACKNOWLEDGED, Action.ACKNOWLEDGE): State.CLOSED,
    # The system's close, from any open state: the alarm's building is gone (deletions.py).
    (State.ACTIVE_UNACKNOWLEDGED, Action.CLOSE): State.CLOSED,
    (State.ACTIVE_ACKNOWLEDGED, Action.CLOSE): State.CLOSED,
    (State.CLEARED_UNACKNOWLEDGED, Action.CLOSE): State.CLOSED,
}
CLEARABLE = (State.ACTIVE_UNACKNOWLEDGED, State.ACTIVE_ACKNOWLEDGED)
