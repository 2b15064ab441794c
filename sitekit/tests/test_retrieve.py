"""Reading one row by primary key with a statement written once, and the viewsets that use it."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.http import HttpResponse
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.response import Response

from bridge.outbox.models import OutboxMessage
from sitekit.retrieve import RowByPk, reads_whole_table
from sitekit.testing import sign_in_with_token, user_with_permissions
from workflows_site.workflows.models import Workflow

pytestmark = pytest.mark.django_db


def stored_message() -> OutboxMessage:
    return OutboxMessage.objects.create(
        subject="s", payload={"nested": {"list": [1, 2]}}, key="k", next_attempt_at=timezone.now()
    )


def test_it_reads_a_row_exactly_as_the_orm_does():
    message = stored_message()

    read = RowByPk(OutboxMessage)(message.pk)
    expected = OutboxMessage.objects.get(pk=message.pk)

    assert read is not None and not read._state.adding and read._state.db == "default"
    fields = [field.attname for field in OutboxMessage._meta.concrete_fields]
    assert [getattr(read, name) for name in fields] == [getattr(expected, name) for name in fields]
    assert read.payload == {"nested": {"list": [1, 2]}}  # the JSON column's from_db_value applied


@pytest.mark.parametrize("pk", [999_999, "not-a-number", "", None, "1.5"])
def test_it_finds_nothing_for_a_missing_or_malformed_key(pk):
    stored_message()

    assert RowByPk(OutboxMessage)(pk) is None


@pytest.mark.parametrize("pk", ["99999999999999999999999", "-99999999999999999999999", 2**63])
def test_it_finds_nothing_for_a_key_past_the_column_without_asking_the_database(pk):
    with CaptureQueriesContext(connection) as queries:
        assert RowByPk(OutboxMessage)(pk) is None

    assert len(queries) == 0  # as the ORM; SQLite's driver would raise OverflowError


def test_it_takes_one_query_each_time():
    message = stored_message()
    row_by_pk = RowByPk(OutboxMessage)

    with CaptureQueriesContext(connection) as queries:
        row_by_pk(message.pk)
        row_by_pk(message.pk)

    assert len(queries) == 2


def test_only_a_whole_table_queryset_takes_the_quick_path():
    assert reads_whole_table(Group.objects.all())
    assert reads_whole_table(Group.objects.order_by("-name"))  # one row: its order does not matter
    assert not reads_whole_table(Group.objects.filter(name="x"))
    assert not reads_whole_table(Group.objects.select_related())
    assert not reads_whole_table(Group.objects.defer("name"))
    assert not reads_whole_table(Group.objects.only("name"))
    assert not reads_whole_table(Group.objects.prefetch_related("permissions"))
    assert not reads_whole_table(Group.objects.extra(select={"one": "1"}))


def test_a_viewset_retrieve_answers_as_before_in_one_query():
    workflow = Workflow.objects.create(name="First", building_id=5)
    client = sign_in_with_token(Client(), user_with_permissions("reader"))
    client.get("/api/workflows/")  # the token is looked up once and then trusted

    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/api/workflows/{workflow.pk}/")

    assert response.status_code == 200
    assert response.json()["id"] == workflow.pk and response.json()["name"] == "First"
    assert len(queries) == 1
    assert client.get("/api/workflows/999999/").status_code == 404
    assert client.get("/api/workflows/abc/").status_code == 404


def answer(client: Client, path: str, **headers: str) -> tuple[int, list[tuple[str, str]], bytes]:
    """Status, headers in order and body of a GET; the trace id is sent, so it is echoed the same."""
    response = client.get(path, headers={"X-Trace-Id": "retrieve-test", **headers})
    return response.status_code, list(response.headers.items()), response.content


def drf_answer(monkeypatch: pytest.MonkeyPatch, client: Client, path: str, **headers: str) -> tuple:
    """The same GET answered by DRF's own dispatch, the quick path turned off."""
    with monkeypatch.context() as patched:
        patched.setattr("sitekit.retrieve.json_renderer_for", lambda *args: None)
        return answer(client, path, **headers)


@pytest.mark.parametrize(
    ("headers", "signed_in"),
    [
        ({}, "token"),
        ({"Accept": "application/json"}, "token"),
        ({"Accept": "*/*"}, "token"),
        ({}, "session"),
        ({}, "nobody"),
        ({}, "wrong token"),
    ],
    ids=["token", "accept-json", "accept-any", "session", "anonymous", "wrong-token"],
)
@pytest.mark.parametrize("found", [True, False], ids=["found", "missing"])
def test_the_quick_path_answers_exactly_what_drf_answers(monkeypatch, headers, signed_in, found):
    workflow = Workflow.objects.create(name="Ünïcode\u2028name", building_id=5)
    client = Client()
    user = user_with_permissions("reader")
    if signed_in == "token":
        sign_in_with_token(client, user)
    elif signed_in == "session":
        client.force_login(user)
    elif signed_in == "wrong token":
        client.defaults["HTTP_AUTHORIZATION"] = "Token wrong"
    path = f"/api/workflows/{workflow.pk if found else 999_999}/"

    quick = answer(client, path, **headers)

    assert quick == drf_answer(monkeypatch, client, path, **headers)
    expected = {"token": 200, "session": 200, "nobody": 401, "wrong token": 401}[signed_in]
    assert quick[0] == (404 if expected == 200 and not found else expected)


def test_the_quick_path_is_taken_for_a_json_read_and_not_otherwise():
    workflow = Workflow.objects.create(name="First", building_id=5)
    client = sign_in_with_token(Client(), user_with_permissions("reader"))
    path = f"/api/workflows/{workflow.pk}/"

    assert type(client.get(path)) is HttpResponse  # DRF answers with its Response
    for other in [{"HTTP_ACCEPT": "application/json; indent=4"}, {"HTTP_ACCEPT": "text/html"}, {}]:
        query = {"format": "json"} if not other else {}
        assert isinstance(client.get(path, query, **other), Response), other


def test_the_browsable_api_still_shows_one_object():
    workflow = Workflow.objects.create(name="Shown in the page", building_id=5)
    client = Client()
    client.force_login(user_with_permissions("reader"))

    response = client.get(f"/api/workflows/{workflow.pk}/", headers={"Accept": "text/html"})

    assert response.status_code == 200 and response["Content-Type"] == "text/html; charset=utf-8"
    assert b"Shown in the page" in response.content and b"Workflow" in response.content
    indented = client.get(f"/api/workflows/{workflow.pk}/", headers={"Accept": "application/json; indent=4"})
    assert indented.content.startswith(b'{\n    "id": ')
