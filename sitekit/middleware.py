"""Web middleware shared by every site."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse

from natswire.tracing import HTTP_TRACE_HEADER, clean_trace_id, trace_id_var
from sitekit.database import is_connection_error

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


class BodySizeLimitMiddleware:
    """Answers 413 with a clear JSON body when a request body is over ``DJANGO_MAX_BODY_BYTES``.

    Django checks ``DATA_UPLOAD_MAX_MEMORY_SIZE`` only when ``request.body`` is read, and
    then answers a bare HTML 400; DRF's parsers read the stream directly and skip the check,
    so a JSON body of any size would be read into memory. Refusing on the declared length
    costs nothing and reads none of it. A chunked body declares none: WSGI servers hand
    Django no such body, so it is refused at once with 411 (send Content-Length) rather
    than passed on as empty; a body that hides its length otherwise is caught when read.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
            return self.too_large(length)
        if "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower() and not length:
            return self.length_required()
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        return self.too_large(None) if isinstance(exception, RequestDataTooBig) else None

    @staticmethod
    def length_required() -> HttpResponse:
        message = "A request body must declare its Content-Length; chunked bodies are not accepted."
        logger.warning("refused: %s", message)
        return JsonResponse({"error": {"status": 411, "message": message}}, status=411)

    @staticmethod
    def too_large(length: int | None) -> HttpResponse:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        size = "The request body" if length is None else f"A request body of {length} bytes"
        message = f"{size} exceeds the limit of {limit} bytes."
        logger.warning("refused: %s", message)
        return JsonResponse({"error": {"status": 413, "message": message}}, status=413)


# The two headers in the WSGI environ: ``request.headers`` would parse every header of the
# request to read these two.
TRACE_ID_META = "HTTP_" + HTTP_TRACE_HEADER.upper().replace("-", "_")
REQUEST_ID_META = "HTTP_X_REQUEST_ID"


class TraceIdMiddleware:
    """Takes ``X-Trace-Id`` (or ``X-Request-Id``) from the request, or makes one, and echoes it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.META.get(TRACE_ID_META) or request.META.get(REQUEST_ID_META)
        # Not reset afterwards: Django logs the response (django.request) after the
        # middleware returns, and that line should carry the id too. The next request
        # sets its own.
        trace_id_var.set(clean_trace_id(incoming))
        response = self.get_response(request)
        response[HTTP_TRACE_HEADER] = trace_id_var.get()
        return response
