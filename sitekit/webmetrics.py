"""Request metrics of the web processes, at ``/metrics``: three series, written once per request.

django-prometheus records about fifteen series per request through two middlewares; with
gunicorn's several workers every one of them is a locked write to a shared file, about
0.7 ms a request. These are the series people read (requests, responses by status,
latency by view), under django-prometheus's names so dashboards keep working.

A site adds figures it computes when scraped (from its database, say) by registering a
collector in ``ON_SCRAPE``: only ``/metrics`` reads that registry, so a bridge process, which
serves the default one on its own port, never runs those queries.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.crypto import constant_time_compare
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)

# Collectors whose figures are computed on each scrape of /metrics, in the process that answers it.
ON_SCRAPE = CollectorRegistry()
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, float("inf"))
UNRESOLVED = "<unresolved>"

REQUESTS = Counter(
    "django_http_requests_total_by_view_transport_method",
    "Requests by view, transport and method.",
    ["view", "transport", "method"],
)
RESPONSES = Counter(
    "django_http_responses_total_by_status_view_method",
    "Responses by status, view and method.",
    ["status", "view", "method"],
)
LATENCY = Histogram(
    "django_http_requests_latency_seconds_by_view_method",
    "Time from the first middleware to the response, by view and method.",
    ["view", "method"],
    buckets=LATENCY_BUCKETS,
)


Series = tuple[Any, Any, Any]  # the request counter, response counter and latency histogram of one label set
_series: dict[tuple[str, str, str, str], Series] = {}


def series_of(view: str, transport: str, method: str, status: str) -> Series:
    """The three series of one request's labels, looked up once per label set rather than once per request."""
    found = _series.get((view, transport, method, status))
    if found is None:
        found = (
            REQUESTS.labels(view, transport, method),
            RESPONSES.labels(status, view, method),
            LATENCY.labels(view, method),
        )
        _series[view, transport, method, status] = found
    return found


class RequestMetricsMiddleware:
    """Counts each request and its latency; goes first in ``MIDDLEWARE`` so it times the rest."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        match = request.resolver_match
        view = (match.view_name or UNRESOLVED) if match is not None else UNRESOLVED
        transport = "https" if request.is_secure() else "http"
        requests, responses, latency = series_of(view, transport, request.method or "", str(response.status_code))
        requests.inc()
        responses.inc()
        latency.observe(time.perf_counter() - started)
        return response


def metrics_view(request: HttpRequest) -> HttpResponse:
    """Every worker's figures (a WSGI server's workers share ``PROMETHEUS_MULTIPROC_DIR``), else this process's.

    Then the ``ON_SCRAPE`` collectors' figures, computed now.

    With ``METRICS_TOKEN`` set, only for a caller that sends it as a bearer token.
    """
    token = settings.METRICS_TOKEN
    if token and not constant_time_compare(request.headers.get("Authorization", ""), f"Bearer {token}"):
        response = HttpResponse("Send the metrics token: Authorization: Bearer <METRICS_TOKEN>\n", status=401)
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    registry = REGISTRY
    if "PROMETHEUS_MULTIPROC_DIR" in os.environ:  # set up by sitekit.webserver (or gunicorn_conf), not a setting
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    return HttpResponse(generate_latest(registry) + generate_latest(ON_SCRAPE), content_type=CONTENT_TYPE_LATEST)
