"""Small builders for alarm tests."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from alarms_site.alarms import services
from alarms_site.alarms.models import Alarm


def event(**overrides: Any) -> dict[str, Any]:
    """A validated ``alarm.created`` payload, as the bridge hands it to the handler."""
    return {
        "id": uuid.uuid4(),
        "name": "Smoke detected",
        "building_id": 7,
        "severity": "major",
        "occurred_at": None,
        **overrides,
    }


def wire_event(**overrides: Any) -> dict[str, Any]:
    """An ``alarm.created`` body as a publisher sends it."""
    return {
        "id": str(uuid.uuid4()),
        "name": "Water leak",
        "buildingId": 3,
        "severity": "critical",
        "occurredAt": "2025-05-01T10:00:00Z",
        **overrides,
    }


def stored_alarms(count: int, **overrides: Any) -> list[Alarm]:
    """Store ``count`` alarms through the service, oldest first."""
    return services.alarm_store_batch(events=[event(name=f"Alarm {i}", **overrides) for i in range(count)])


def iso(value: datetime | None) -> str | None:
    """How DRF renders a datetime (UTC, ``Z``)."""
    return value.isoformat().replace("+00:00", "Z") if value else None


def alarms_received(moments: list[datetime], **overrides: Any) -> list[Alarm]:
    """One alarm received at each of ``moments`` (as if stored then), in one insert; names are unique."""
    fields = {"building_id": 7, "severity": "minor", **overrides}
    return Alarm.objects.bulk_create(
        Alarm(
            event_id=uuid.uuid4(),
            name=f"Alarm {uuid.uuid4().hex[:8]}",
            occurred_at=moment,
            received_at=moment,
            **fields,
        )
        for moment in moments
    )
