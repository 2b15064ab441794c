"""The alarms' live feed: what is published after each commit, and how web processes receive it.

Subjects are ``<ALARMS_LIVE_SUBJECT>.created`` (the alarms a batch stored) and
``<ALARMS_LIVE_SUBJECT>.acknowledged``; each web process forwards both into ``GROUP``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from django.conf import settings

from alarms_site.alarms.models import Alarm
from alarms_site.alarms.serializers import AlarmAcknowledgementSerializer, AlarmOutputSerializer
from bridge.live import LIVE_FRAME, forward_to_group, publish_on_commit

logger = logging.getLogger(__name__)

GROUP = "alarms-live"
FRAME = LIVE_FRAME  # the group message consumers send to their socket as it is
CREATED = "created"
ACKNOWLEDGED = "acknowledged"
# Alarms per NATS message: a burst of 500 stays well under the 1 MB payload limit.
CHUNK = 200


def live_subject(kind: str) -> str:
    """The NATS subject of one kind of live message."""
    return f"{settings.ALARMS_LIVE_SUBJECT}.{kind}"


def kind_of(subject: str) -> str | None:
    """``created`` or ``acknowledged`` for a live subject; None for anything else."""
    kind = subject.removeprefix(f"{settings.ALARMS_LIVE_SUBJECT}.")
    return kind if kind in (CREATED, ACKNOWLEDGED) else None


def push_created(alarms: Iterable[Alarm]) -> None:
    """Announce newly stored alarms once the transaction commits."""
    _push(CREATED, AlarmOutputSerializer(list(alarms), many=True).data)


def push_acknowledged(alarms: Iterable[Alarm]) -> None:
    """Announce newly acknowledged alarms once the transaction commits."""
    _push(ACKNOWLEDGED, AlarmAcknowledgementSerializer(list(alarms), many=True).data)


def frames_of(messages: list[tuple[str, Any]]) -> list[dict[str, Any]]:
    """Socket frames for live messages that arrived together, in order: ``{"type": kind, "alarms": [...]}``.

    Consecutive messages of one kind become one frame; malformed ones are dropped.
    """
    frames: list[dict[str, Any]] = []
    for subject, payload in messages:
        kind = kind_of(subject)
        alarms = payload.get("alarms") if isinstance(payload, dict) else None
        if kind is None or not isinstance(alarms, list):
            logger.warning("ignored a malformed live message on %s", subject)
        elif frames and frames[-1]["type"] == kind:
            frames[-1]["alarms"].extend(alarms)
        else:
            frames.append({"type": kind, "alarms": list(alarms)})
    return frames


async def start_forwarding() -> None:
    """Make sure this web process receives the live feed (``NatsUnavailable`` if it cannot)."""
    await forward_to_group(f"{settings.ALARMS_LIVE_SUBJECT}.>", GROUP, frames=frames_of)


def _push(kind: str, items: list) -> None:
    for start in range(0, len(items), CHUNK):
        publish_on_commit(live_subject(kind), {"alarms": items[start : start + CHUNK]})
