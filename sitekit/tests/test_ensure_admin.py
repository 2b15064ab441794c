"""``manage.py ensure_admin``: the site's staff superuser and API token, made once, never overwritten."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import override_settings
from rest_framework.authtoken.models import Token

from sitekit.testing import REPO_ROOT

pytestmark = pytest.mark.django_db
User = get_user_model()


def ensure_admin(*args: str) -> str:
    out = io.StringIO()
    call_command("ensure_admin", *args, stdout=out)
    return out.getvalue()


@override_settings(ADMIN_USERNAME="admin", ADMIN_PASSWORD="", PRODUCTION=False)
def test_it_makes_up_a_password_and_prints_it_and_the_token_once():
    printed = ensure_admin()

    password = re.search(r"with the password (\S+)", printed).group(1)
    user = User.objects.get(username="admin")
    assert user.is_staff and user.is_superuser and user.check_password(password)
    assert f"API token of 'admin': {Token.objects.get(user=user).key}" in printed

    again = ensure_admin()

    assert again == "The user 'admin' exists: left as it is\n"
    assert User.objects.get(username="admin").check_password(password)


@override_settings(ADMIN_USERNAME="ops", ADMIN_PASSWORD="chosen by the operator", PRODUCTION=True)
def test_it_uses_the_configured_name_and_password_without_printing_the_password():
    printed = ensure_admin()

    assert User.objects.get(username="ops").check_password("chosen by the operator")
    assert "chosen by the operator" not in printed
    assert "Created the staff superuser 'ops' with the password from DJANGO_ADMIN_PASSWORD" in printed


@override_settings(ADMIN_USERNAME="admin", ADMIN_PASSWORD="", PRODUCTION=True)
def test_it_refuses_to_make_up_a_password_in_production():
    with pytest.raises(CommandError, match="DJANGO_ADMIN_PASSWORD must be set in production"):
        ensure_admin()

    assert not User.objects.exists()


@override_settings(ADMIN_USERNAME="admin", ADMIN_PASSWORD="new password", PRODUCTION=True)
def test_it_leaves_an_existing_user_alone_and_gives_it_a_token_if_it_has_none():
    User.objects.create_user("admin", password="old password")

    printed = ensure_admin()

    user = User.objects.get(username="admin")
    assert user.check_password("old password") and not user.is_staff
    assert printed.splitlines()[0] == "The user 'admin' exists: left as it is"
    assert f"API token of 'admin': {Token.objects.get(user=user).key}" in printed


@override_settings(ADMIN_USERNAME="admin", ADMIN_PASSWORD="pw", PRODUCTION=False)
def test_it_creates_the_token_with_a_given_key_and_refuses_malformed_keys():
    with pytest.raises(CommandError, match="--token"):
        ensure_admin("--token", "short")
    assert not User.objects.exists()

    ensure_admin("--token", "a" * 40)

    assert Token.objects.get(user__username="admin").key == "a" * 40


@pytest.mark.django_db(transaction=True)
def test_it_reads_the_account_from_the_environment_of_a_real_process():
    database = connection.settings_dict
    login = f"{database['USER']}:{database['PASSWORD']}" if database["PASSWORD"] else database["USER"]
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{login}@{database['HOST']}:{database['PORT']}/{database['NAME']}",
        "DJANGO_PRODUCTION": "1",
        "DJANGO_SECRET_KEY": "x" * 50,
        "METRICS_TOKEN": "y" * 30,
        "DJANGO_ADMIN_USER": "night-shift",
        "DJANGO_ADMIN_PASSWORD": "",
    }
    command = [sys.executable, f"{settings.SITE_PACKAGE}/manage.py", "ensure_admin"]

    refused = subprocess.run(command, env=env, cwd=REPO_ROOT, capture_output=True, text=True)
    created = subprocess.run(
        command, env={**env, "DJANGO_ADMIN_PASSWORD": "s3cret"}, cwd=REPO_ROOT, capture_output=True, text=True
    )

    assert refused.returncode == 1
    assert "DJANGO_ADMIN_PASSWORD must be set in production" in refused.stderr
    assert created.returncode == 0, created.stderr
    assert User.objects.get(username="night-shift").check_password("s3cret")
