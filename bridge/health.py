"""Health endpoints every site serves: ``/health/live`` and ``/health/ready``."""

from __future__ import annotations

from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.urls import path

from bridge.client import get_client
from natswire.errors import BridgeError


def live(request: HttpRequest) -> JsonResponse:
    """The process is up and serving HTTP."""
    return JsonResponse({"status": "ok"})


def ready(request: HttpRequest) -> JsonResponse:
    """The database and NATS are reachable; 503 names whichever is not."""
    checks = {"database": _check_database(), "nats": _check_nats()}
    healthy = all(value == "ok" for value in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "unavailable", "checks": checks}, status=200 if healthy else 503
    )


def _check_database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return "ok"
    except Exception as error:  # any driver error means "not ready"
        return f"unreachable: {error}".strip()[:300]


def _check_nats() -> str:
    try:
        get_client().ping()
        return "ok"
    except BridgeError as error:
        return f"unreachable: {error}"[:300]


urlpatterns = [
    path("live", live, name="health-live"),
    path("ready", ready, name="health-ready"),
]
