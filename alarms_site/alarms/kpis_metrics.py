"""The KPIs that matter minute by minute, as Prometheus gauges computed when ``/metrics`` is scraped.

A fixed recent window keeps each scrape to a few small indexed queries: the flood state
now (one query, a few more while a flood goes back far), standing alarms and chattering in
the last hour. The window-wide figures are the KPI API's (``GET /api/alarms/kpis/``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import timedelta

from django.db import DatabaseError
from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from alarms_site.alarms.flood_selectors import flood_now
from alarms_site.alarms.kpis import alarm_chattering_count, alarm_standing_count

logger = logging.getLogger(__name__)

CHATTERING_WINDOW = timedelta(hours=1)
GAUGES = {
    "alarms_in_flood": "1 while alarms are in flood (ALARMS_FLOOD_*), else 0.",
    "alarms_flood_seconds": "How long the flood on now has lasted; 0 when there is none.",
    "alarms_annunciated_recent": "Alarms annunciated in the last ALARMS_FLOOD_WINDOW_MINUTES: the flood rule's count.",
    "alarms_standing": "Open alarms received more than ALARMS_STANDING_HOURS ago.",
    "alarms_chattering_last_hour": "Alarms marked chattering in the last hour.",
}


class AlarmKpiCollector(Collector):
    """Reads the figures on each scrape; without the database it leaves them out and the rest still answers."""

    def describe(self) -> list[GaugeMetricFamily]:
        """The gauges' names, without a query (the registry asks once, when the collector is registered)."""
        return [GaugeMetricFamily(name, documentation) for name, documentation in GAUGES.items()]

    def collect(self) -> Iterator[GaugeMetricFamily]:
        now = timezone.now()
        try:
            flood = flood_now(now=now)
            values = {
                "alarms_in_flood": int(flood.in_flood),
                "alarms_flood_seconds": (now - flood.since).total_seconds() if flood.since else 0.0,
                "alarms_annunciated_recent": flood.count,
                "alarms_standing": alarm_standing_count(now=now),
                "alarms_chattering_last_hour": alarm_chattering_count(start=now - CHATTERING_WINDOW, end=now),
            }
        except DatabaseError:
            logger.warning("alarm KPI gauges left out of /metrics: the database did not answer", exc_info=True)
            return
        for name, documentation in GAUGES.items():
            yield GaugeMetricFamily(name, documentation, value=values[name])
