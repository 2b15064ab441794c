"""``GET /api/<things>/<id>/`` without compiling the same query on every request.

``Model.objects.get(pk=...)`` builds a ``WHERE`` clause and compiles SQL for each call:
about 0.3 ms of CPU, a third of a whole read of one building through DRF. The statement
never changes, so ``RowByPk`` writes it once per model and turns the row into an instance
with ``Model.from_db``, as the ORM does (0.12 ms). ``QuickRetrieveMixin`` uses it in a
viewset's ``retrieve`` when the viewset's queryset is the whole table, and otherwise leaves
``get_object`` to DRF, so a queryset that filters, defers or joins keeps its meaning.

A ``GET`` of one object that can only be answered in JSON (no ``Accept`` header, ``*/*`` or
``application/json``, no query string) also skips what DRF works out per request to learn
that: content negotiation, then a ``Response`` rendered through Django's template-response
machinery. ``QuickRetrieveMixin.dispatch`` runs DRF's own steps in DRF's order otherwise:
the same authentication, permission and throttle checks, the same serializer, the same
``JSONRenderer``, the same headers, and any error goes through DRF's exception handling as
before. sitekit/tests/test_retrieve.py holds it to the bytes DRF answers.
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from django.core.exceptions import ValidationError
from django.db import connections, models, router
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from rest_framework.mixins import RetrieveModelMixin
from rest_framework.renderers import JSONRenderer
from rest_framework.views import APIView

from sitekit.rows import ModelRows

M = TypeVar("M", bound=models.Model)


class RowByPk(Generic[M]):
    """Reads one ``model`` row by primary key with a statement written once."""

    def __init__(self, model: type[M]) -> None:
        self.model = model
        self._rows = ModelRows(model)
        self._statements: dict[str, str] = {}

    def __call__(self, pk: Any) -> M | None:
        """The row, or None when there is none (or ``pk`` cannot be a primary key)."""
        try:
            pk = self.model._meta.pk.to_python(pk)
        except ValidationError:
            return None
        connection = connections[router.db_for_read(self.model)]
        if not fits_column(self.model._meta.pk, pk, connection):
            return None
        with connection.cursor() as cursor:
            cursor.execute(self._statement(connection), [pk])
            row = cursor.fetchone()
        return None if row is None else self._rows.instance(connection, row)

    def _statement(self, connection: Any) -> str:
        """The statement for one database, written on first use."""
        statement = self._statements.get(connection.alias)
        if statement is None:
            meta, quote = self.model._meta, connection.ops.quote_name
            table, pk = quote(meta.db_table), quote(meta.pk.column)
            statement = f"SELECT {self._rows.columns(connection)} FROM {table} WHERE {pk} = %s"
            self._statements[connection.alias] = statement
        return statement


def fits_column(field: models.Field, value: Any, connection: Any) -> bool:
    """Whether ``value`` fits ``field``'s column, so no row is missed by refusing it.

    The ORM finds no row for an integer past the column's range without asking the database
    (SQLite's driver would raise OverflowError beyond 64 bits); a hand-written statement
    must check for itself to answer the same 404 on every database.
    """
    if not isinstance(value, int):
        return True
    try:
        low, high = connection.ops.integer_field_range(field.get_internal_type())
    except KeyError:  # not an integer column
        return True
    return (low is None or value >= low) and (high is None or value <= high)


def reads_whole_table(queryset: QuerySet) -> bool:
    """Whether ``queryset`` is every row as stored: no filter, join, annotation or deferred field."""
    query = queryset.query
    return (
        not query.where
        and not query.select_related
        and not query.annotations
        and not query.extra
        and query.deferred_loading == (frozenset(), True)
        and not queryset._prefetch_related_lookups
    )


# What DRF's content negotiation answers with JSON (media type ``application/json``, no
# parameters such as ``indent``) whatever else the view could render.
JSON_ONLY_ACCEPT = frozenset({"*/*", "application/json"})


# The steps of DRF's that the quick path takes as DRF has them: a view that changes one keeps DRF's path.
DRF_STEPS = {
    "retrieve": RetrieveModelMixin.retrieve,
    "initial": APIView.initial,
    "perform_content_negotiation": APIView.perform_content_negotiation,
    "finalize_response": APIView.finalize_response,
}


def json_renderer_for(view: Any, request: HttpRequest, kwargs: dict[str, Any]) -> JSONRenderer | None:
    """The renderer DRF would negotiate for a ``GET`` of one object, when it can only be plain JSON; else None."""
    if request.method != "GET" or view.action_map.get("get") != "retrieve":
        return None
    if any(getattr(type(view), name) is not step for name, step in DRF_STEPS.items()):
        return None
    if request.META.get("QUERY_STRING") or request.META.get("HTTP_ACCEPT", "*/*") not in JSON_ONLY_ACCEPT:
        return None
    if view.get_format_suffix(**kwargs) is not None:
        return None
    renderer = view.get_renderers()[0]  # DRF picks the first renderer for */* and the first JSON one for JSON
    return renderer if type(renderer) is JSONRenderer else None


class QuickRetrieveMixin:
    """For DRF viewsets: ``retrieve`` reads its object with ``RowByPk`` and answers JSON without negotiating."""

    _row_by_pk: RowByPk | None = None

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        renderer = json_renderer_for(self, request, kwargs)
        if renderer is None:
            return super().dispatch(request, *args, **kwargs)
        # DRF's APIView.dispatch and initial, step by step, with the negotiation's answer known.
        self.args = args
        self.kwargs = kwargs
        request = self.initialize_request(request, *args, **kwargs)
        self.request = request
        self.headers = self.default_response_headers
        try:
            self.format_kwarg = None  # json_renderer_for saw no format suffix
            request.accepted_renderer, request.accepted_media_type = renderer, renderer.media_type
            request.version, request.versioning_scheme = self.determine_version(request, *args, **kwargs)
            self.perform_authentication(request)
            self.check_permissions(request)
            self.check_throttles(request)
            data = self.get_serializer(self.get_object()).data
        except Exception as exc:
            response = self.handle_exception(exc)
        else:
            # What ``Response.rendered_content`` renders; DRF renders after the view returns, so do we.
            content = renderer.render(data, renderer.media_type, self.get_renderer_context())
            response = HttpResponse(content, content_type=renderer.media_type)
        self.response = self.finalize_response(request, response, *args, **kwargs)
        return self.response

    def get_object(self) -> models.Model:
        queryset = self.get_queryset()
        lookup = self.lookup_url_kwarg or self.lookup_field
        if self.action != "retrieve" or lookup != "pk" or not reads_whole_table(queryset):
            return super().get_object()
        row_by_pk = type(self)._row_by_pk
        if row_by_pk is None or row_by_pk.model is not queryset.model:
            row_by_pk = type(self)._row_by_pk = RowByPk(queryset.model)
        instance = row_by_pk(self.kwargs[lookup])
        if instance is None:
            raise Http404
        self.check_object_permissions(self.request, instance)
        return instance
