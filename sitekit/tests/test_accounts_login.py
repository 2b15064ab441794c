"""Every active user signs in at /accounts/login/, not only staff (the admin's form admits staff only)."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client, override_settings
from prometheus_client import REGISTRY

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator():
    """An active user who is not staff: may read the API and watch pages, not use the admin."""
    return get_user_model().objects.create_user("operator", password="a long test password")


def sign_in(client: Client, password: str, next_page: str = "/api/workflows/"):
    return client.post(
        f"/accounts/login/?next={next_page}",
        {"username": "operator", "password": password, "next": next_page},
    )


def test_a_user_who_is_not_staff_signs_in_and_is_sent_on(operator):
    client = Client()

    response = sign_in(client, "a long test password")

    assert response.status_code == 302 and response["Location"] == "/api/workflows/"
    assert client.get("/api/workflows/").status_code == 200  # the session now authenticates API calls
    assert client.get("/admin/").status_code == 302  # still not admitted to the admin


def test_a_wrong_password_shows_the_form_again_with_an_error(operator):
    client = Client()

    response = sign_in(client, "wrong")

    assert response.status_code == 200
    assert b'role="alert"' in response.content and b'id="id_username"' in response.content
    assert client.get("/api/workflows/").status_code == 401


def test_the_form_does_not_send_people_off_site(operator):
    response = sign_in(Client(), "a long test password", next_page="https://evil.example/")

    assert response.status_code == 302 and response["Location"] == "/api/"


def test_signing_out_ends_the_session(operator):
    client = Client()
    sign_in(client, "a long test password")

    client.post("/accounts/logout/")

    assert client.get("/api/workflows/").status_code == 401


@override_settings(AXES_FAILURE_LIMIT=3)
def test_it_locks_a_user_out_after_repeated_wrong_passwords_and_an_admin_unlocks_it(operator):
    client = Client()
    before = REGISTRY.get_sample_value("django_login_lockouts_total") or 0.0

    answers = [sign_in(client, "wrong").status_code for _ in range(3)]
    locked = sign_in(client, "a long test password")  # even the right password, from here

    assert answers == [200, 200, 429]  # the third failure locks
    assert locked.status_code == 429 and b"Too many sign-in attempts" in locked.content
    assert client.get("/api/workflows/").status_code == 401
    assert REGISTRY.get_sample_value("django_login_lockouts_total") >= before + 2
    admin = Client().post("/admin/login/", {"username": "operator", "password": "a long test password"})
    assert admin.status_code == 429  # the admin's form is locked the same way

    call_command("axes_reset_username", "operator")

    assert sign_in(client, "a long test password").status_code == 302


@override_settings(AXES_FAILURE_LIMIT=3)
def test_the_lockout_is_per_user_and_a_success_starts_the_count_afresh(operator):
    get_user_model().objects.create_user("other", password="another long password")
    client = Client()
    sign_in(client, "wrong")
    sign_in(client, "wrong")
    assert sign_in(client, "a long test password").status_code == 302

    client = Client()
    assert [sign_in(client, "wrong").status_code for _ in range(2)] == [200, 200]
    other = client.post("/accounts/login/", {"username": "other", "password": "another long password"})
    assert other.status_code == 302
