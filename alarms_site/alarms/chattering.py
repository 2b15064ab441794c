"""Chattering (ISA-18.2): an alarm that goes on and off too often to be worth an operator's attention.

``ALARMS_CHATTER_TRANSITIONS`` raise/clear transitions of one alarm within
``ALARMS_CHATTER_WINDOW_SECONDS`` (its raise, its clears and its re-raises, as journaled)
mark it chattering, once; with ``ALARMS_CHATTER_AUTO_SHELVE`` it is also shelved until it
clears, by the system, journaled. Only alarms with a source can chatter: one without is a
new alarm every time.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from django.conf import settings
from django.db.models import Count
from django.utils import timezone

from alarms_site.alarms import live
from alarms_site.alarms.journal import journal_write
from alarms_site.alarms.models import SYSTEM_ACTOR, Action, Alarm, JournalEntry, State

TRANSITIONS = (Action.CLEAR, Action.RERAISE)


def chattering_mark(alarms: Sequence[Alarm]) -> list[Alarm]:
    """Mark those of ``alarms`` (just cleared or raised again) that now chatter; in the caller's transaction."""
    candidates = {alarm.pk: alarm for alarm in alarms if alarm.source and not alarm.chattering}
    if not candidates:
        return []
    now = timezone.now()
    window = timedelta(seconds=settings.ALARMS_CHATTER_WINDOW_SECONDS)
    counts = dict(
        JournalEntry.objects.filter(alarm_id__in=list(candidates), action__in=TRANSITIONS, at__gte=now - window)
        .values("alarm_id")
        .annotate(count=Count("id"))
        .values_list("alarm_id", "count")
    )
    marked = [
        alarm
        for alarm in candidates.values()
        if counts.get(alarm.pk, 0) + (alarm.received_at >= now - window) >= settings.ALARMS_CHATTER_TRANSITIONS
    ]
    if not marked:
        return []
    for alarm in marked:
        alarm.chattering = True
    fields = ["chattering"]
    note = f"{settings.ALARMS_CHATTER_TRANSITIONS} or more raise/clear transitions within {window.seconds} s"
    journal_write(alarms=marked, action=Action.CHATTERING, actor=SYSTEM_ACTOR, note=note, at=now)
    if settings.ALARMS_CHATTER_AUTO_SHELVE:
        shelved = [alarm for alarm in marked if not alarm.is_shelved and alarm.state != State.CLOSED]
        for alarm in shelved:
            alarm.shelved_at, alarm.shelved_until, alarm.shelved_by = now, None, SYSTEM_ACTOR
            alarm.shelve_reason = "chattering"
        fields += ["shelved_at", "shelved_until", "shelved_by", "shelve_reason"]
        journal_write(
            alarms=shelved, action=Action.SHELVE, actor=SYSTEM_ACTOR, note="chattering (until it clears)", at=now
        )
    Alarm.objects.bulk_update(marked, fields)
    live.push_changed(marked)
    return marked
