"""The alarm pages: the live list (the most pressing alarms, then live updates) and the status page (KPIs, charts)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_GET

from alarms_site.alarms.filters import AlarmFilter
from alarms_site.alarms.livecounts import counts_frame
from alarms_site.alarms.models import Severity, State
from alarms_site.alarms.priorities import Priority
from alarms_site.alarms.selectors import OPEN, alarm_list, alarm_live_window, alarm_newest_id, assignable_usernames
from alarms_site.alarms.serializers import AlarmOutputSerializer

STATUS_MINUTES = 60
STATUS_REFRESH_SECONDS = 15
# The KPI windows the status page offers (the API takes any from 10m to 7d), and its first.
KPI_WINDOWS = [("1h", "last hour"), ("24h", "last 24 hours"), ("7d", "last 7 days")]
KPI_WINDOW = "24h"
# The API filters the live page offers; its URL carries them, so a reload or a link keeps them.
LIVE_FILTERS = ("building_id", "severity", "priority", "state", "assignee", "assigned", "open")
ASSIGNABLE_USERS = 500  # a choice longer than that is no help; the API takes any active username


@require_GET
@login_required  # to the sign-in form (LOGIN_URL), then back here
@ensure_csrf_cookie  # the action buttons post with the token from this cookie
def alarm_live_page(request: HttpRequest) -> HttpResponse:
    """Render the page with its first rows and the true counts embedded as JSON (one render path: the page's script).

    The rows are the page's filters (from its URL) applied to the alarms annunciated now (with
    ``open=true``: every open alarm), the ``ALARMS_LIVE_WINDOW`` most pressing first; a URL with
    a bad filter gets the unfiltered page rather than an error.
    """
    window = settings.ALARMS_LIVE_WINDOW
    newest_id = alarm_newest_id()  # read first: what commits after it, the page's catch-up brings
    query = live_query(request.GET)
    found = AlarmFilter(query, queryset=alarm_list())
    if not found.is_valid():
        query = live_query(QueryDict())
        found = AlarmFilter(query, queryset=alarm_list())
    alarms = AlarmOutputSerializer(alarm_live_window(queryset=found.qs, limit=window), many=True).data
    page = {
        "window": window,
        "alarms": alarms,
        "newest_id": newest_id,
        "matching": found.qs.count(),
        "counts": counts_frame(),
        "filters": {name: value for name, value in query.items() if name in LIVE_FILTERS},
        "user": _abilities(request),
        "assignees": assignable_usernames(limit=ASSIGNABLE_USERS),
        "shelve_max_minutes": settings.ALARMS_SHELVE_MAX_MINUTES,
        "choices": {
            "severity": Severity.choices,
            "priority": Priority.choices,
            "state": [choice for choice in State.choices if choice[0] in OPEN],
        },
    }
    return render(request, "alarms/live.html", {"page": page, "window": window})


def live_query(params: QueryDict) -> QueryDict:
    """The API query the page's list stands for: its filters, and without ``open=true`` the alarms annunciated now."""
    query = QueryDict(mutable=True)
    for name in LIVE_FILTERS:
        if name in params:
            query[name] = params[name]
    if query.get("open") != "true":
        query.pop("open", None)
        query["annunciated"] = "true"
    return query


def _abilities(request: HttpRequest) -> dict[str, Any]:
    """What the signed-in user may do from the page, so it shows only the buttons that would work."""
    user = request.user
    return {
        "username": user.get_username(),
        "may_change": user.has_perm("alarms.change_alarm"),
        "may_shelve": user.has_perm("alarms.shelve_alarm"),
    }


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
