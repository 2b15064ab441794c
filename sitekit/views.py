"""Views every site shares."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Every site's ``handler404``: API clients get DRF's JSON 404 even for a path no route matches.

    ``/api/buildings/1.5e-9/`` matches no route, so Django, not DRF, answers it; an HTML page
    there would break clients that read every API answer as JSON (and the OpenAPI schema,
    which documents JSON).
    """
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found."}, status=404)
    return defaults.page_not_found(request, exception)
