"""The one way alarms change: lock the rows, check the rule, change, journal, push live.

Every operator action (acknowledge, shelve, assign, comment...) and every rule that acts by
itself (a clear, a shelve that ends, a building out of service) goes through
``change_alarms``, so each change is checked against the alarm as it is now (rows locked,
so two changes of one alarm apply one after the other), journaled in the same transaction,
and announced to the live pages once committed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from alarms_site.alarms import live
from alarms_site.alarms.journal import journal_write
from alarms_site.alarms.models import SYSTEM_ACTOR, Alarm


class AlarmActionRefused(Exception):
    """An action the alarm's state does not allow (the API answers 409 with this message)."""


@dataclass(frozen=True)
class FollowUp:
    """A change that follows from another (a one-shot shelve ending on clear), journaled as the system's."""

    action: str
    note: str


@dataclass(frozen=True)
class Change:
    """One action on alarms.

    ``refuse(alarm)`` says why the alarm does not allow it (None: it does); ``apply(alarm, now)``
    changes the alarm in memory and returns follow-ups to journal; ``fields`` are the columns
    it may change.
    """

    action: str
    actor: str
    refuse: Callable[[Alarm], str | None]
    apply: Callable[[Alarm, datetime], list[FollowUp]]
    fields: tuple[str, ...]
    note: str = ""
    push: Callable[[list[Alarm]], None] = field(default=live.push_changed)


@transaction.atomic
def change_alarms(*, alarm_ids: Iterable[int], change: Change, strict: bool = False) -> list[Alarm]:
    """Apply ``change`` to those of the alarms that allow it; returns the changed ones, by id.

    Alarms that refuse are skipped, or, with ``strict``, refuse the whole call with
    ``AlarmActionRefused``. Each changed alarm gets one journal entry (from and to state), and
    one more per follow-up.
    """
    alarms = list(Alarm.objects.select_for_update().filter(pk__in=list(alarm_ids)).order_by("id"))
    now = timezone.now()
    changed: list[Alarm] = []
    entries: dict[tuple[str, str, str, str, str], list[Alarm]] = {}
    for alarm in alarms:
        reason = change.refuse(alarm)
        if reason is not None:
            if strict:
                raise AlarmActionRefused(f"cannot {change.action.replace('_', ' ')}: alarm {alarm.pk} {reason}")
            continue
        from_state = alarm.state
        follow_ups = change.apply(alarm, now)
        entries.setdefault((change.action, change.actor, from_state, alarm.state, change.note), []).append(alarm)
        for follow_up in follow_ups:
            key = (follow_up.action, SYSTEM_ACTOR, alarm.state, alarm.state, follow_up.note)
            entries.setdefault(key, []).append(alarm)
        changed.append(alarm)
    if not changed:
        return []
    Alarm.objects.bulk_update(changed, list(change.fields))
    for (action, actor, from_state, to_state, note), group in entries.items():
        journal_write(
            alarms=group, action=action, actor=actor, from_state=from_state, to_state=to_state, note=note, at=now
        )
    change.push(changed)
    return changed


def end_shelve(alarm: Alarm) -> None:
    """Make ``alarm`` unshelved (in memory)."""
    alarm.shelved_at = alarm.shelved_until = None
    alarm.shelved_by = alarm.shelve_reason = ""


SHELVE_FIELDS = ("shelved_at", "shelved_until", "shelved_by", "shelve_reason")
