"""NATS handlers of alarms_site: take validated payloads, call a service."""

from __future__ import annotations

from typing import Any

from alarms_site.alarms import services


def alarms_created(payloads: list[dict[str, Any]]) -> None:
    """``alarm.created``: store a batch of events (one transaction; pushed live after commit)."""
    services.alarm_store_batch(events=payloads)
