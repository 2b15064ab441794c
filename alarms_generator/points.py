"""Each building's points: what its building management system watches, and the alarm each raises.

A point's ``source`` (``"ahu-3/supply-temp"``) with its building and alarm name is the key the
alarms service keeps one open alarm for. A building's points are drawn from its own RNG,
seeded by the run's seed and the building id, so they are the same whichever buildings a run
happens to touch first, and only the buildings touched are ever built.
"""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True)
class Point:
    """One watched point of one building and the alarm it raises."""

    building: int
    source: str
    name: str
    severity: str
    chattering: bool = False


# Equipment kind -> (how many a building has, at least and at most; its points as
# (point, alarm name, severity)). The source is "<kind>-<number>/<point>".
EQUIPMENT: dict[str, tuple[tuple[int, int], list[tuple[str, str, str]]]] = {
    "ahu": ((1, 4), [("supply-temp", "Supply air temperature high", "major"),
                     ("filter", "Air filter clogged", "minor"),
                     ("fan", "Supply fan failure", "major")]),
    "chiller": ((0, 2), [("status", "Chiller failure", "major"),
                         ("condenser-temp", "Condenser water temperature high", "warning")]),
    "boiler": ((0, 2), [("pressure", "Boiler pressure low", "minor"),
                        ("flame", "Boiler flame failure", "major")]),
    "pump": ((1, 4), [("vibration", "Pump vibration high", "warning")]),
    "fire-zone": ((1, 6), [("smoke", "Smoke detected", "critical"),
                           ("sprinkler", "Sprinkler flow detected", "critical")]),
    "gas-detector": ((0, 2), [("gas", "Gas leak detected", "critical")]),
    "lift": ((0, 4), [("trapped", "Passenger trapped in elevator", "critical"),
                      ("status", "Elevator out of service", "major")]),
    "door": ((1, 6), [("forced", "Door forced open", "major"),
                      ("held", "Door held open", "minor")]),
    "floor": ((1, 12), [("temp", "Temperature above setpoint", "warning"),
                        ("co2", "CO2 level elevated", "warning"),
                        ("humidity", "Humidity high", "warning"),
                        ("leak", "Water leak detected", "major"),
                        ("lighting", "Lighting circuit fault", "minor")]),
    "server-room": ((0, 1), [("temp", "Server room over temperature", "major")]),
    "ups": ((0, 2), [("battery", "UPS running on battery", "warning")]),
    "sensor": ((2, 8), [("battery", "Sensor battery low", "minor"),
                        ("offline", "Sensor offline", "info")]),
    "controller": ((1, 2), [("maintenance", "Maintenance mode enabled", "info"),
                            ("comms", "Controller communication lost", "minor")]),
}  # fmt: skip


def building_points(*, seed: int, building: int, chattering: float) -> tuple[Point, ...]:
    """The points of ``building``: the same for the same ``seed``; ``chattering`` is each point's chance to chatter."""
    # A string seed is hashed with SHA-512, never with Python's per-process hash().
    rng = random.Random(f"{seed}/{building}")
    points = []
    for kind, ((fewest, most), watched) in EQUIPMENT.items():
        for number in range(1, rng.randint(fewest, most) + 1):
            for point, name, severity in watched:
                source = f"{kind}-{number}/{point}"
                points.append(Point(building, source, name, severity, chattering=rng.random() < chattering))
    return tuple(points)
