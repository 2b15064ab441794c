"""Shelving (ISA-18.2): an operator takes an alarm off the annunciated list for a while, with a reason.

A timed shelve ends by itself at ``shelved_until``: the alarms bridge checks every
``ALARMS_SHELVE_CHECK_SECONDS`` (``alarm_shelves_expire``), and since the end is stored on the
alarm, a shelve whose end passed while every process was down ends at the first check after
start. A one-shot shelve ends when the alarm clears; any shelve ends when the alarm closes.
Shelving needs the ``alarms.shelve_alarm`` permission (a supervisor's), apart from acknowledging.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from alarms_site.alarms.changes import SHELVE_FIELDS, AlarmActionRefused, Change, FollowUp, change_alarms, end_shelve
from alarms_site.alarms.models import SYSTEM_ACTOR, Action, Alarm, State

EXPIRE_AT_ONCE = 1000  # shelves ended per check at most; the next check takes the rest


def alarm_shelve_many(
    *, alarm_ids: Iterable[int], by: str, reason: str, minutes: int | None, strict: bool = False
) -> list[Alarm]:
    """Shelve open, unshelved alarms for ``minutes`` (``ALARMS_SHELVE_MAX_MINUTES`` at most), or until they clear."""
    if minutes is not None and not 1 <= minutes <= settings.ALARMS_SHELVE_MAX_MINUTES:
        raise AlarmActionRefused(f"a shelve lasts 1 to {settings.ALARMS_SHELVE_MAX_MINUTES} minutes, not {minutes}")
    note = f"{reason} (for {minutes} min)" if minutes is not None else f"{reason} (until it clears)"

    def refuse(alarm: Alarm) -> str | None:
        if alarm.state == State.CLOSED:
            return "is closed"
        return "is shelved already" if alarm.is_shelved else None

    def apply(alarm: Alarm, now: datetime) -> list[FollowUp]:
        alarm.shelved_at, alarm.shelved_by, alarm.shelve_reason = now, by, reason
        alarm.shelved_until = now + timedelta(minutes=minutes) if minutes is not None else None
        return []

    change = Change(action=Action.SHELVE, actor=by, note=note, refuse=refuse, apply=apply, fields=SHELVE_FIELDS)
    return change_alarms(alarm_ids=alarm_ids, change=change, strict=strict)


def alarm_unshelve_many(*, alarm_ids: Iterable[int], by: str, note: str = "", strict: bool = False) -> list[Alarm]:
    """End the shelve of those alarms that are shelved."""
    return change_alarms(alarm_ids=alarm_ids, change=_unshelve(by=by, note=note), strict=strict)


def alarm_shelves_expire(*, now: datetime | None = None) -> int:
    """End every timed shelve whose time is up (the bridge's scheduled check); returns how many ended.

    Two bridges checking at once end each shelve once: ``change_alarms`` locks the rows and
    checks again, so the second finds them unshelved and skips them.
    """
    now = now or timezone.now()
    due = list(
        Alarm.objects.filter(shelved_until__lte=now)
        .order_by("shelved_until")
        .values_list("id", flat=True)[:EXPIRE_AT_ONCE]
    )
    if not due:
        return 0
    change = _unshelve(by=SYSTEM_ACTOR, note="shelve time ended", due_by=now)
    return len(change_alarms(alarm_ids=due, change=change))


def shelve_ends_with(alarm: Alarm, *, action: str) -> list[FollowUp]:
    """The shelve a state transition ends: a one-shot one on clear, any on close (applied in memory)."""
    if not alarm.is_shelved:
        return []
    if alarm.state == State.CLOSED:
        end_shelve(alarm)
        return [FollowUp(Action.UNSHELVE, "shelve ended: the alarm closed")]
    if action == Action.CLEAR and alarm.shelved_until is None:
        end_shelve(alarm)
        return [FollowUp(Action.UNSHELVE, "one-shot shelve ended: the alarm cleared")]
    return []


def _unshelve(*, by: str, note: str, due_by: datetime | None = None) -> Change:
    def refuse(alarm: Alarm) -> str | None:
        if not alarm.is_shelved:
            return "is not shelved"
        if due_by is not None and not (alarm.shelved_until and alarm.shelved_until <= due_by):
            return "is not due to be unshelved"  # shelved again meanwhile, for longer
        return None

    def apply(alarm: Alarm, now: datetime) -> list[FollowUp]:
        end_shelve(alarm)
        return []

    return Change(action=Action.UNSHELVE, actor=by, note=note, refuse=refuse, apply=apply, fields=SHELVE_FIELDS)
