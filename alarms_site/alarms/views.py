"""The live alarm page: the newest alarms from the database, then live updates in the browser."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_GET

from alarms_site.alarms.selectors import alarm_latest
from alarms_site.alarms.serializers import AlarmOutputSerializer


@require_GET
@login_required  # to the admin's login form (LOGIN_URL), then back here
@ensure_csrf_cookie  # the Acknowledge button posts with the token from this cookie
def alarm_live_page(request: HttpRequest) -> HttpResponse:
    """Render the page with the newest alarms embedded as JSON (one render path: the page's script)."""
    window = settings.ALARMS_LIVE_WINDOW
    alarms = AlarmOutputSerializer(alarm_latest(limit=window), many=True).data
    return render(request, "alarms/live.html", {"alarms": alarms, "window": window})
