"""The alarms' append-only journal: written by the services, in the same transaction as the change."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.db.models import QuerySet
from django.utils import timezone

from alarms_site.alarms.models import Alarm, JournalEntry


def journal_write(
    *,
    alarms: Sequence[Alarm],
    action: str,
    actor: str,
    from_state: str = "",
    to_state: str = "",
    note: str = "",
    at: datetime | None = None,
) -> None:
    """One entry per alarm, all in one INSERT; entries are never updated or deleted."""
    at = at or timezone.now()
    JournalEntry.objects.bulk_create(
        JournalEntry(
            alarm_id=alarm.pk, action=action, actor=actor, at=at, from_state=from_state, to_state=to_state, note=note
        )
        for alarm in alarms
    )


def journal_of(*, alarm_id: int) -> QuerySet[JournalEntry]:
    """An alarm's journal, oldest first."""
    return JournalEntry.objects.filter(alarm_id=alarm_id).order_by("id")
