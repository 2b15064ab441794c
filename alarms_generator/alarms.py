"""Random, realistic alarms: what a building management system might raise."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime
from typing import Any

from alarms_generator.points import Point

# Severity -> weight: most alarms are routine, few are critical.
SEVERITY_WEIGHTS = {"critical": 4, "major": 14, "minor": 36, "warning": 26, "info": 20}

NAMES = {
    "critical": ["Fire alarm triggered", "Smoke detected", "Gas leak detected", "Sprinkler flow detected",
                 "Passenger trapped in elevator"],
    "major": ["Water leak detected", "Power failure", "Chiller failure", "Server room over temperature",
              "Door forced open"],
    "minor": ["Door held open", "Air filter clogged", "Sensor battery low", "Boiler pressure low",
              "Lighting circuit fault"],
    "warning": ["Temperature above setpoint", "Humidity high", "CO2 level elevated", "UPS running on battery",
                "Pump vibration high"],
    "info": ["Maintenance mode enabled", "Sensor back online", "Scheduled fire test started",
             "Access badge reader restarted", "Meter reading collected"],
}  # fmt: skip

PLACES = ["basement", "lobby", "plant room", "roof", "car park", "kitchen", "server room", "stairwell B"]


def new_alarm(rng: random.Random, *, buildings: tuple[int, int]) -> dict[str, Any]:
    """One ``alarm.created`` payload: the seed's ``name`` and ``buildingId`` plus id, severity and time."""
    severity = rng.choices(list(SEVERITY_WEIGHTS), weights=list(SEVERITY_WEIGHTS.values()))[0]
    where = rng.choice([f"floor {rng.randint(1, 12)}", rng.choice(PLACES)])
    name = f"{rng.choice(NAMES[severity])} ({where})"
    return created_event(name=name, building=rng.randint(*buildings), severity=severity)


def raised_alarm(point: Point) -> dict[str, Any]:
    """The ``alarm.created`` payload of ``point`` raising (or repeating) its alarm."""
    return created_event(name=point.name, building=point.building, severity=point.severity, source=point.source)


def created_event(*, name: str, building: int, severity: str, source: str | None = None) -> dict[str, Any]:
    """An ``alarm.created`` payload with a fresh id and the time now; ``source`` only when it has one."""
    event = {"id": event_id(), "name": name, "buildingId": building, "severity": severity, "occurredAt": now_iso()}
    if source is not None:
        event["source"] = source
    return event


def cleared_alarm(point: Point) -> dict[str, Any]:
    """The ``alarm.cleared`` payload of ``point`` returning to normal: it names the alarm by its key."""
    return {
        "id": event_id(),
        "buildingId": point.building,
        "source": point.source,
        "name": point.name,
        "occurredAt": now_iso(),
    }


def event_id() -> str:
    """A fresh uuid4, never drawn from the seeded RNG.

    JetStream drops a publish whose ``Nats-Msg-Id`` it saw within its duplicate window, and the
    alarms service skips event ids it stored: ids from the seed would make a second run with
    the same ``--seed`` vanish.
    """
    return str(uuid.uuid4())


def now_iso() -> str:
    """Now in UTC as ISO 8601 with milliseconds and ``Z``, as JavaScript's ``toISOString()`` writes it."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
