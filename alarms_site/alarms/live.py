"""The alarms' live feed: what is published after each commit, and how web processes receive it.

Subjects are ``<ALARMS_LIVE_SUBJECT>.created`` (the alarms a batch stored),
``<ALARMS_LIVE_SUBJECT>.acknowledged`` and ``<ALARMS_LIVE_SUBJECT>.changed`` (whole alarms that
were cleared, repeated or raised again); each web process forwards them into ``GROUP``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

import orjson
from django.conf import settings

from alarms_site.alarms.models import Alarm
from alarms_site.alarms.serializers import AlarmAcknowledgementSerializer, AlarmOutputSerializer
from bridge.fanout import forward_to_group, publish_on_commit
from bridge.livesockets import LIVE_FRAME

logger = logging.getLogger(__name__)

GROUP = "alarms-live"
FRAME = LIVE_FRAME  # the group message consumers send to their socket as it is
CREATED = "created"
ACKNOWLEDGED = "acknowledged"
CHANGED = "changed"  # alarms whose state, occurrences or other fields changed; the whole alarm
# Alarms per NATS message: a burst of 500 stays well under the 1 MB payload limit.
CHUNK = 200
# The most bytes one socket frame may take, encoded. Daphne's --websocket-max-message-size (64 KiB:
# stack.system.DAPHNE_LIMITS, docker-compose.yml) bounds what it sends as well as what it receives:
# a larger frame raises inside the consumer and closes that page's socket with 1011. The smallest
# ALARMS_LIVE_SEND_BUFFER holds two, so a client that does read is never dropped for a burst.
MAX_FRAME_BYTES = 64 * 1024


def live_subject(kind: str) -> str:
    """The NATS subject of one kind of live message."""
    return f"{settings.ALARMS_LIVE_SUBJECT}.{kind}"


def kind_of(subject: str) -> str | None:
    """``created``, ``acknowledged`` or ``changed`` for a live subject; None for anything else."""
    kind = subject.removeprefix(f"{settings.ALARMS_LIVE_SUBJECT}.")
    return kind if kind in (CREATED, ACKNOWLEDGED, CHANGED) else None


def push_created(alarms: Iterable[Alarm]) -> None:
    """Announce newly stored alarms once the transaction commits."""
    _push(CREATED, AlarmOutputSerializer(list(alarms), many=True).data)


def push_acknowledged(alarms: Iterable[Alarm]) -> None:
    """Announce newly acknowledged alarms once the transaction commits."""
    _push(ACKNOWLEDGED, AlarmAcknowledgementSerializer(list(alarms), many=True).data)


def push_changed(alarms: Iterable[Alarm]) -> None:
    """Announce alarms that changed (cleared, repeated, raised again) once the transaction commits."""
    _push(CHANGED, AlarmOutputSerializer(list(alarms), many=True).data)


class FrameFill:
    """A frame being filled with alarms of one kind, and how many bytes it takes encoded so far."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.alarms: list[Any] = []
        self.size = len(orjson.dumps({"type": kind, "alarms": []}))

    def takes(self, kind: str, alarm_size: int, *, max_bytes: int) -> bool:
        """Whether an alarm of ``kind``, ``alarm_size`` bytes encoded, goes here (an empty frame takes any)."""
        return kind == self.kind and (not self.alarms or self.size + 1 + alarm_size <= max_bytes)

    def add(self, alarm: Any, alarm_size: int) -> None:
        self.size += alarm_size + (1 if self.alarms else 0)  # and a comma after the previous one
        self.alarms.append(alarm)

    def frame(self) -> dict[str, Any]:
        return {"type": self.kind, "alarms": self.alarms}


def frames_of(messages: list[tuple[str, Any]], *, max_bytes: int = MAX_FRAME_BYTES) -> list[dict[str, Any]]:
    """Socket frames for live messages that arrived together, in order: ``{"type": kind, "alarms": [...]}``.

    Consecutive messages of one kind become one frame, up to ``max_bytes`` encoded, then the
    next frame: a process that fell behind has many messages to merge, and daphne would refuse
    to send one frame with them all. Malformed messages, and alarms too large for any frame, are
    dropped.
    """
    fills: list[FrameFill] = []
    for subject, payload in messages:
        kind = kind_of(subject)
        alarms = payload.get("alarms") if isinstance(payload, dict) else None
        if kind is None or not isinstance(alarms, list):
            logger.warning("ignored a malformed live message on %s", subject)
            continue
        _fill(fills, kind, alarms, max_bytes=max_bytes)
    return [fill.frame() for fill in fills]


def frames_for(kind: str, alarms: list[Any], *, max_bytes: int = MAX_FRAME_BYTES) -> list[dict[str, Any]]:
    """``alarms`` as frames of ``kind`` of up to ``max_bytes`` each; one empty frame when there are none.

    For answers that can be large, such as a reconnecting page's catch-up: a long alarm
    window, long names or a page listing many unacknowledged alarms would not fit one frame.
    """
    fills: list[FrameFill] = []
    _fill(fills, kind, alarms, max_bytes=max_bytes)
    return [fill.frame() for fill in fills] or [FrameFill(kind).frame()]


def _fill(fills: list[FrameFill], kind: str, alarms: list[Any], *, max_bytes: int) -> None:
    """Add ``alarms`` to the last frame while they fit, then to new ones.

    An alarm that no frame of ``max_bytes`` holds is dropped: daphne would refuse to send it and
    close the socket (1011), so one malformed live message would cut off every open page. A
    real alarm takes about a kilobyte.
    """
    room = max_bytes - FrameFill(kind).size
    for alarm in alarms:
        size = len(orjson.dumps(alarm))
        if size > room:
            logger.warning("dropped a live %s alarm of %d bytes: no frame of %d bytes holds it", kind, size, max_bytes)
            continue
        if not fills or not fills[-1].takes(kind, size, max_bytes=max_bytes):
            fills.append(FrameFill(kind))
        fills[-1].add(alarm, size)


async def start_forwarding(*, on_news: Callable[[], None] | None = None) -> None:
    """Make sure this web process receives the live feed (``NatsUnavailable`` if it cannot).

    ``on_news`` is called whenever live messages arrived (the counts may have changed); the
    first call in an event loop sets it.
    """

    def frames(messages: list[tuple[str, Any]]) -> list[dict[str, Any]]:
        if on_news is not None:
            on_news()
        return frames_of(messages)

    await forward_to_group(f"{settings.ALARMS_LIVE_SUBJECT}.>", GROUP, frames=frames)


def _push(kind: str, items: list) -> None:
    for start in range(0, len(items), CHUNK):
        publish_on_commit(live_subject(kind), {"alarms": items[start : start + CHUNK]})
