"""What each tick publishes: independent alarms (``--lifecycle none``) or the points' lifecycles, plus a flood.

Kept apart from the publishing so a seed's sequence of messages can be read without NATS.
Only ids and times are not from the seed (see ``alarms.event_id``).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from alarms_generator.alarms import cleared_alarm, new_alarm, raised_alarm
from alarms_generator.flood import Flood
from alarms_generator.lifecycle import Change, Kind, Lifecycle
from alarms_generator.options import Options

ALARM = "alarm"  # the kind of an independent alarm (--lifecycle none)


@dataclass(frozen=True)
class Message:
    """One event to publish, and what it is: ``alarm``, ``raise``, ``repeat`` or ``clear``."""

    subject: str
    payload: dict[str, Any]
    kind: str

    @property
    def creates(self) -> bool:
        """Whether it is an ``alarm.created`` event, the kind ``--count`` counts."""
        return self.kind != Kind.CLEAR


class Ticks:
    """The messages of tick after tick, as ``options`` and its seed say."""

    def __init__(self, options: Options) -> None:
        self.options = options
        self._rng = random.Random(options.seed)
        self._lifecycle = None
        if options.lifecycle == "points":
            self._lifecycle = Lifecycle(self._rng, buildings=options.buildings, chattering=options.chattering)
        self._flood = None
        if options.flood_size:
            self._flood = Flood.within(
                size=options.flood_size, seconds=options.flood_seconds, interval=options.interval
            )
        self._tick = 0

    def next(self, *, most_created: int | None = None) -> list[Message]:
        """The next tick's messages, with no more than ``most_created`` alarm.created events (None: no limit)."""
        raises = self.options.burst + (self._flood.extra(self._tick) if self._flood else 0)
        self._tick += 1
        if self._lifecycle is None:
            if most_created is not None:
                raises = min(raises, most_created)
            alarms = [new_alarm(self._rng, buildings=self.options.buildings) for _ in range(raises)]
            return [Message(self.options.subject, alarm, ALARM) for alarm in alarms]
        messages = [self._message(change) for change in self._lifecycle.tick(raises=raises)]
        return messages if most_created is None else _first_created(messages, most_created)

    def _message(self, change: Change) -> Message:
        if change.kind == Kind.CLEAR:
            assert self.options.cleared_subject is not None  # options set it for every lifecycle
            return Message(self.options.cleared_subject, cleared_alarm(change.point), change.kind)
        return Message(self.options.subject, raised_alarm(change.point), change.kind)


def _first_created(messages: list[Message], most: int) -> list[Message]:
    """``messages`` up to the one that makes ``most`` alarm.created events: what a run ending on ``--count`` sends."""
    kept = []
    for message in messages:
        if message.creates:
            if most == 0:
                break
            most -= 1
        kept.append(message)
    return kept
