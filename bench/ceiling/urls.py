"""``GET /<id>/``: one building row by one cursor query, as JSON."""

import orjson
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.urls import path

STATEMENT = "SELECT * FROM buildings_building WHERE id = %s"


def row(request: HttpRequest, pk: int) -> HttpResponse:
    """The row with primary key ``pk``, or 404."""
    with connection.cursor() as cursor:
        cursor.execute(STATEMENT, [pk])
        found = cursor.fetchone()
        if found is None:
            return HttpResponse(status=404)
        names = [column.name for column in cursor.description]
    return HttpResponse(orjson.dumps(dict(zip(names, found, strict=True))), content_type="application/json")


urlpatterns = [path("<int:pk>/", row)]
