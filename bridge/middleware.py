"""Web middleware shared by every site."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse

from bridge.database import is_connection_error

logger = logging.getLogger("bridge.web")

RETRY_AFTER_SECONDS = "5"


class DatabaseUnavailableMiddleware:
    """Answers 503 with a clear JSON body when the site's database cannot be reached.

    Without it a lost database shows up as a bare 500; with it clients and load balancers
    see that the failure is temporary and when to try again.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, OperationalError | InterfaceError) or not is_connection_error(exception):
            return None
        logger.error("database unavailable: %s", exception)
        response = JsonResponse(
            {"error": {"status": 503, "message": "The database is unavailable; try again shortly."}}, status=503
        )
        response["Retry-After"] = RETRY_AFTER_SECONDS
        return response
