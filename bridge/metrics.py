"""Prometheus metrics of the bridge processes, served on ``BRIDGE_METRICS_PORT`` when set.

Web processes serve theirs at ``/metrics`` (``sitekit.webmetrics``); these cover what only a
bridge sees: messages handled, errors, redeliveries, handler latency and outbox backlog.
"""

from __future__ import annotations

import logging

from prometheus_client import Counter, Gauge, Histogram, start_http_server

logger = logging.getLogger("bridge")

MESSAGES = Counter(
    "bridge_messages_total", "Messages handled, by subject, kind and outcome.", ["subject", "kind", "outcome"]
)
REDELIVERIES = Counter("bridge_redeliveries_total", "Events delivered more than once.", ["subject"])
HANDLER_SECONDS = Histogram(
    "bridge_handler_seconds",
    "Time in the handler per batch.",
    ["subject"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
BATCH_SIZE = Histogram(
    "bridge_batch_size", "Messages per handler call.", ["subject"], buckets=(1, 2, 5, 10, 25, 50, 100, 250, 500, 1000)
)
OUTBOX_BACKLOG = Gauge("bridge_outbox_backlog", "Outbox messages waiting to be delivered.")
SCHEDULED_RUNS = Counter(
    "bridge_scheduled_runs_total", "Runs of scheduled handlers, by result.", ["schedule", "result"]
)


def serve_metrics(port: int) -> None:
    """Expose the metrics over HTTP on ``port`` (0 leaves them off)."""
    if port:
        start_http_server(port, addr="0.0.0.0")
        logger.info("metrics on :%d/metrics", port)
