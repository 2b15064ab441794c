"""The alarm pages: the live list (newest alarms, then live updates) and the status chart."""

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
    """The alarms-per-minute chart; the page's script draws it from the per-minute API and refreshes it."""
    return render(request, "alarms/status.html", {"minutes": STATUS_MINUTES, "refresh_seconds": STATUS_REFRESH_SECONDS})
