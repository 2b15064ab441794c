"""Test support every site shares that is not NATS: the test runner, users, tokens, access checks."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, Permission
from django.db.models import Model
from django.forms.models import model_to_dict
from django.test import Client, override_settings
from django.test.runner import DiscoverRunner
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

REPO_ROOT = Path(__file__).resolve().parent.parent


class SiteTestRunner(DiscoverRunner):
    """``manage.py test`` with no labels runs this site's tests only, not the whole repository."""

    def build_suite(self, test_labels=None, **kwargs):
        if not test_labels:
            test_labels = [str(REPO_ROOT / settings.SITE_PACKAGE)]
        if self.top_level is None:
            self.top_level = str(REPO_ROOT)
        return super().build_suite(test_labels, **kwargs)


def user_with_permissions(username: str, *permissions: str) -> AbstractBaseUser:
    """An active, non-staff user holding exactly ``permissions`` (``"app_label.codename"``)."""
    user = get_user_model().objects.create_user(username)
    for permission in permissions:
        app_label, codename = permission.split(".")
        user.user_permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    return user


def sign_in_with_token(client: Client, user: AbstractBaseUser) -> Client:
    """Make ``client`` send ``user``'s API token on every request, as API clients do."""
    token, _ = Token.objects.get_or_create(user=user)
    client.defaults["HTTP_AUTHORIZATION"] = f"Token {token.key}"
    return client


def session_cookie(user: AbstractBaseUser) -> str:
    """A ``Cookie`` header signing ``user`` in with a new session (for WebSocket tests)."""
    client = Client()
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


class SignedInMixin:
    """``self.client`` calls as ``self.user``, a superuser, with its API token."""

    def setUp(self) -> None:
        super().setUp()
        self.user = get_user_model().objects.create_superuser("operator", email="", password=None)
        sign_in_with_token(self.client, self.user)


@dataclass(frozen=True)
class Write:
    """A write the API offers, the permission it needs and what it answers a user who has it."""

    method: str
    path: str
    permission: str
    status: int
    body: dict[str, Any] | None = None


# Unreachable: a permitted write that talks to NATS answers from its fallback, never a shared server.
NO_NATS = "nats://127.0.0.1:1"


class ApiAccessChecks:
    """Who may use a site's REST API, checked the same way on every site.

    Mix into a ``TestCase`` and name the endpoints: ``collection`` (e.g. ``/api/buildings/``),
    ``existing()`` (stores an object to read and write) and ``writes(obj)`` (every write
    the API offers on it, deletes last).
    """

    collection: str
    id_field = "id"  # the field of the answer that holds the object's primary key
    open_paths: tuple[str, ...] = ("/health/live", "/api/schema/", "/api/docs/", "/metrics")

    def existing(self) -> Model:
        raise NotImplementedError

    def lookup(self, obj: Model) -> Any:
        """What the API names ``obj`` by, in its paths and in ``id_field``: its primary key unless overridden."""
        return obj.pk

    def writes(self, obj: Model) -> list[Write]:
        raise NotImplementedError

    def send(self, client: Client, write: Write):
        return getattr(client, write.method)(write.path, write.body, format="json")

    def assert_unchanged(self, obj: Model, count: int) -> None:
        self.assertEqual(type(obj).objects.count(), count)
        self.assertEqual(model_to_dict(type(obj).objects.get(pk=obj.pk)), model_to_dict(obj))

    def test_it_answers_anonymous_calls_with_401_and_a_token_challenge(self):
        obj = self.existing()
        client = APIClient()
        for path in (self.collection, f"{self.collection}{self.lookup(obj)}/"):
            response = client.get(path)
            self.assertEqual((response.status_code, response["WWW-Authenticate"]), (401, "Token"), path)
        for write in self.writes(obj):
            response = self.send(client, write)
            self.assertEqual((response.status_code, response["WWW-Authenticate"]), (401, "Token"), write)
        self.assert_unchanged(obj, 1)

    def test_it_lets_a_user_without_permissions_read_but_not_write(self):
        obj = self.existing()
        client = sign_in_with_token(APIClient(), user_with_permissions("reader"))
        self.assertEqual(client.get(self.collection).json()["count"], 1)
        answer = client.get(f"{self.collection}{self.lookup(obj)}/").json()
        self.assertEqual(answer[self.id_field], self.lookup(obj))
        for write in self.writes(obj):
            self.assertEqual(self.send(client, write).status_code, 403, write)
        self.assert_unchanged(obj, 1)

    @override_settings(NATS_URL=NO_NATS)  # the bridge's client follows the setting (bridge.apps)
    def test_it_lets_a_user_with_a_token_make_each_write_their_permission_allows(self):
        for index, write in enumerate(self.writes(self.existing())):
            client = sign_in_with_token(APIClient(), user_with_permissions(f"writer-{index}", write.permission))
            self.assertEqual(self.send(client, write).status_code, write.status, write)

    def test_it_refuses_each_write_to_a_user_holding_only_another_writes_permission(self):
        obj = self.existing()
        writes = self.writes(obj)
        for index, write in enumerate(writes):
            others = sorted({other.permission for other in writes} - {write.permission})
            client = sign_in_with_token(APIClient(), user_with_permissions(f"other-{index}", *others))
            self.assertEqual(self.send(client, write).status_code, 403, (write, others))
        self.assert_unchanged(obj, 1)

    def test_it_keeps_health_metrics_and_the_api_docs_open_to_anonymous_callers(self):
        for path in self.open_paths:
            self.assertEqual(Client().get(path).status_code, 200, path)
        # Readiness may say 503, but only as an answer naming what is not ready.
        ready = Client().get("/health/ready")
        self.assertIn(ready.status_code, {200, 503})
        self.assertEqual(set(ready.json()["checks"]), {"database", "nats"})
        self.assertEqual(ready.json()["status"] == "ok", ready.status_code == 200)

    def test_it_sends_anonymous_admin_visitors_to_the_login_form(self):
        self.assertRedirects(Client().get("/admin/"), "/admin/login/?next=/admin/")

    def test_it_answers_api_paths_no_route_matches_with_json_and_other_paths_with_a_page(self):
        client = sign_in_with_token(APIClient(), user_with_permissions("lost"))
        api = client.get(f"{self.collection}1.5e-9/")  # no route matches, so Django answers, not DRF
        page = client.get("/no-such-page/")
        self.assertEqual((api.status_code, api.json()), (404, {"detail": "Not found."}))
        self.assertEqual((page.status_code, page["Content-Type"]), (404, "text/html; charset=utf-8"))
