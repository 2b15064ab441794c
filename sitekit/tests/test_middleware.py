"""Shared web middleware, through a site's real URLconf and middleware chain."""

from __future__ import annotations

import orjson
import pytest
from django.contrib.auth import get_user_model
from django.test import Client, override_settings


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1024)
def test_it_refuses_a_body_over_the_limit_with_a_json_413_before_reading_it():
    body = orjson.dumps({"name": "x" * 2000, "building_id": 1})
    response = Client().post("/api/workflows/", data=body, content_type="application/json")
    assert response.status_code == 413
    assert response.json() == {
        "error": {"status": 413, "message": f"A request body of {len(body)} bytes exceeds the limit of 1024 bytes."}
    }


@pytest.mark.django_db
@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1024)
def test_it_lets_a_body_at_the_limit_through_to_the_view():
    client = Client()
    client.force_login(get_user_model().objects.create_superuser("operator", email="", password=None))
    body = orjson.dumps({"name": "x" * 900, "building_id": "not a number"})
    body += b" " * (1024 - len(body))
    response = client.post("/api/workflows/", data=body, content_type="application/json")
    assert response.status_code == 400  # the serializer's answer: the body was read and parsed
    assert set(response.json()) >= {"building_id"}


def test_it_refuses_a_chunked_body_that_declares_no_length_with_411():
    response = Client().post(
        "/api/workflows/", data=b"", content_type="application/json", HTTP_TRANSFER_ENCODING="chunked"
    )

    assert response.status_code == 411
    assert response.json()["error"]["status"] == 411
