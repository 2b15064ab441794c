"""The alarm pages: the live list (newest alarms, then live updates) and the status page (KPIs, charts)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_GET

from alarms_site.alarms.selectors import alarm_latest
from alarms_site.alarms.serializers import AlarmOutputSerializer

STATUS_MINUTES = 60
STATUS_REFRESH_SECONDS = 15
# The KPI windows the status page offers (the API takes any from 10m to 7d), and its first.
KPI_WINDOWS = [("1h", "last hour"), ("24h", "last 24 hours"), ("7d", "last 7 days")]
KPI_WINDOW = "24h"


@require_GET
@login_required  # to the sign-in form (LOGIN_URL), then back here
@ensure_csrf_cookie  # the Acknowledge button posts with the token from this cookie
def alarm_live_page(request: HttpRequest) -> HttpResponse:
    """Render the page with the newest alarms embedded as JSON (one render path: the page's script)."""
    window = settings.ALARMS_LIVE_WINDOW
    alarms = AlarmOutputSerializer(alarm_latest(limit=window), many=True).data
    return render(request, "alarms/live.html", {"alarms": alarms, "window": window})


@require_GET
@login_required
def alarm_status_page(request: HttpRequest) -> HttpResponse:
    """The KPI panels and the alarms-per-minute chart; the page's scripts draw them from the APIs and refresh them."""
    context = {
        "minutes": STATUS_MINUTES,
        "refresh_seconds": STATUS_REFRESH_SECONDS,
        "kpi_windows": KPI_WINDOWS,
        "kpi_window": KPI_WINDOW,
    }
    return render(request, "alarms/status.html", context)
