"""Assigning an alarm to a user of the alarms site, and commenting on it; both journaled."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.contrib.auth import get_user_model

from alarms_site.alarms.changes import AlarmActionRefused, Change, FollowUp, change_alarms
from alarms_site.alarms.models import Action, Alarm, State


def alarm_assign_many(*, alarm_ids: Iterable[int], to: str, by: str, strict: bool = False) -> list[Alarm]:
    """Assign open alarms to the active user of the alarms site named ``to``.

    No such user refuses every alarm (``AlarmActionRefused`` with ``strict``): the set of
    users is the state that decides it, as an alarm's state decides the rest.
    """
    if not get_user_model().objects.filter(username=to, is_active=True).exists():
        if strict:
            raise AlarmActionRefused(f"cannot assign: there is no active user {to!r} on the alarms site")
        return []

    def refuse(alarm: Alarm) -> str | None:
        if alarm.state == State.CLOSED:
            return "is closed"
        return f"is assigned to {to} already" if alarm.assignee == to else None

    def apply(alarm: Alarm, now: datetime) -> list[FollowUp]:
        alarm.assignee = to
        return []

    change = Change(action=Action.ASSIGN, actor=by, note=f"to {to}", refuse=refuse, apply=apply, fields=("assignee",))
    return change_alarms(alarm_ids=alarm_ids, change=change, strict=strict)


def alarm_unassign_many(*, alarm_ids: Iterable[int], by: str, strict: bool = False) -> list[Alarm]:
    """Take assigned alarms off their assignee (closed ones too: a closed alarm needs no owner)."""

    def refuse(alarm: Alarm) -> str | None:
        return None if alarm.assignee else "is not assigned"

    def apply(alarm: Alarm, now: datetime) -> list[FollowUp]:
        alarm.assignee = ""
        return []

    change = Change(action=Action.UNASSIGN, actor=by, refuse=refuse, apply=apply, fields=("assignee",))
    return change_alarms(alarm_ids=alarm_ids, change=change, strict=strict)


def alarm_comment_many(*, alarm_ids: Iterable[int], text: str, by: str) -> list[Alarm]:
    """Add ``text`` to the alarms' journals, closed alarms too (a note on what happened)."""

    def apply(alarm: Alarm, now: datetime) -> list[FollowUp]:
        alarm.comments += 1
        return []

    change = Change(
        action=Action.COMMENT, actor=by, note=text, refuse=lambda alarm: None, apply=apply, fields=("comments",)
    )
    return change_alarms(alarm_ids=alarm_ids, change=change)
