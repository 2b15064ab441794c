"""Reading one row by primary key with a statement written once, and the viewsets that use it."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

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
