"""Prometheus metrics of the alarms' own rules, in the process that applies them (the alarms bridge)."""

from __future__ import annotations

from prometheus_client import Counter

CLEARS_UNMATCHED = Counter(
    "alarms_clears_unmatched_total",
    "alarm.cleared events that named no open alarm (its raise not stored yet, or cleared already).",
)
