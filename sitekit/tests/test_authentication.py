"""API tokens are checked against the database once per process every few seconds, and a change here applies at once."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from sitekit import authentication
from sitekit.testing import sign_in_with_token, user_with_permissions

pytestmark = pytest.mark.django_db
URL = "/api/workflows/"


@pytest.fixture(autouse=True)
def empty_cache():
    authentication.token_cache.clear()
    authentication.token_failures.clear()
    yield
    authentication.token_cache.clear()
    authentication.token_failures.clear()


@pytest.fixture
def client_of_reader() -> Client:
    user = user_with_permissions("reader", "workflows.view_workflow")
    return sign_in_with_token(Client(), user)


def token_queries(client: Client) -> int:
    """How many queries on the token table one API call made (it must still succeed)."""
    with CaptureQueriesContext(connection) as queries:
        assert client.get(URL).status_code == 200
    return sum("authtoken_token" in query["sql"] for query in queries.captured_queries)


def delete_tokens_as_another_process_would() -> None:
    """Remove the tokens behind this process's back: no model signal, as in another process."""
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM authtoken_token")


def test_it_looks_a_token_up_once_and_then_trusts_it(client_of_reader):
    assert token_queries(client_of_reader) == 1
    assert token_queries(client_of_reader) == 0
    assert token_queries(client_of_reader) == 0


def test_it_never_caches_a_wrong_token(client_of_reader):
    client_of_reader.defaults["HTTP_AUTHORIZATION"] = "Token not-a-real-token"

    assert client_of_reader.get(URL).status_code == 401
    assert client_of_reader.get(URL).status_code == 401


def test_a_token_deleted_in_this_process_is_refused_at_once(client_of_reader):
    token_queries(client_of_reader)

    Token.objects.all().delete()

    assert client_of_reader.get(URL).status_code == 401


def test_a_user_deactivated_in_this_process_is_refused_at_once(client_of_reader):
    token_queries(client_of_reader)

    get_user_model().objects.filter(username="reader").update(is_active=False)  # no signal: a queryset update
    user = get_user_model().objects.get(username="reader")
    user.save()  # the signal an admin's change sends

    assert client_of_reader.get(URL).status_code == 401


def test_a_permission_taken_away_in_this_process_applies_at_once():
    writer = sign_in_with_token(Client(), user_with_permissions("writer", "workflows.add_workflow"))
    assert writer.post(URL, {}, content_type="application/json").status_code == 400  # allowed; empty body

    get_user_model().objects.get(username="writer").user_permissions.clear()

    assert writer.post(URL, {}, content_type="application/json").status_code == 403


def test_a_change_elsewhere_applies_here_once_the_cache_time_is_over(client_of_reader, monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr(authentication.time, "monotonic", lambda: clock[0])
    with override_settings(API_TOKEN_CACHE_SECONDS=10):
        token_queries(client_of_reader)
        delete_tokens_as_another_process_would()

        clock[0] += 9.5
        assert client_of_reader.get(URL).status_code == 200

        clock[0] += 1.0
        assert client_of_reader.get(URL).status_code == 401


@override_settings(API_TOKEN_CACHE_SECONDS=0)
def test_no_cache_time_checks_every_request(client_of_reader):
    assert token_queries(client_of_reader) == 1
    assert token_queries(client_of_reader) == 1

    delete_tokens_as_another_process_would()

    assert client_of_reader.get(URL).status_code == 401


def test_the_cache_stays_bounded(monkeypatch):
    monkeypatch.setattr(authentication, "MAX_TOKENS", 3)
    cache = authentication.TokenCache()
    for number in range(3):
        cache.put(f"key-{number}", user=None, token=None, ttl=60)
    assert cache.get("key-2") is not None

    cache.put("key-3", user=None, token=None, ttl=60)

    assert cache.get("key-0") is None
    assert cache.get("key-3") is not None


@override_settings(API_TOKEN_FAILURE_LIMIT=3, API_TOKEN_FAILURE_WINDOW=60)
def test_it_answers_429_with_retry_after_once_an_address_sent_too_many_wrong_tokens(client_of_reader):
    guesser = Client(HTTP_AUTHORIZATION="Token " + "0" * 40)

    answers = [guesser.get(URL).status_code for _ in range(3)]
    throttled = guesser.get(URL)

    assert answers == [401, 401, 401]
    assert throttled.status_code == 429
    assert 0 < int(throttled["Retry-After"]) <= 60
    assert "Too many wrong API tokens" in throttled.json()["detail"]
    assert client_of_reader.get(URL).status_code == 429  # any token from that address, until the window passes
    assert Client(REMOTE_ADDR="192.0.2.7").get(URL).status_code == 401  # no token: a plain 401, not counted


@override_settings(API_TOKEN_FAILURE_LIMIT=3, API_TOKEN_FAILURE_WINDOW=60)
def test_other_addresses_and_right_tokens_are_not_throttled(client_of_reader):
    guesser = Client(HTTP_AUTHORIZATION="Token " + "0" * 40, REMOTE_ADDR="192.0.2.9")
    for _ in range(5):
        guesser.get(URL)

    assert [client_of_reader.get(URL).status_code for _ in range(5)] == [200] * 5


@pytest.mark.parametrize(
    "header",
    ["", "Token", "Token a b", "token {key}", "Token {key}", "Bearer {key}", "Token wrong", "Token \xe9t\xe9"],
)
def test_it_reads_the_authorization_header_as_drfs_token_authentication_does(header):
    user = user_with_permissions("reader")
    key = Token.objects.create(user=user).key
    request = APIRequestFactory().get(URL, HTTP_AUTHORIZATION=header.format(key=key))

    def outcome(authenticator):
        try:
            found = authenticator.authenticate(Request(request))
        except AuthenticationFailed as error:
            return "refused", str(error.detail)
        return "found", found and found[0].pk

    assert outcome(authentication.CachedTokenAuthentication()) == outcome(TokenAuthentication())
