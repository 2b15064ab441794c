"""Production settings pass Django's deployment checklist, refuse to start without a secret key,
and take every secret (secret key, database, NATS and admin passwords) from the environment only."""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys

import pytest

from alarms_generator.options import parse_options
from stack.system import REPO_ROOT, SITES

PRODUCTION_ENV = {
    "DJANGO_PRODUCTION": "1",
    "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
    "DJANGO_ALLOWED_HOSTS": "buildings.example.com",
    "METRICS_TOKEN": secrets.token_urlsafe(30),
}


def manage(package: str, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "NATS_")) and k not in {"DATABASE_URL", "METRICS_TOKEN"}
    }
    return subprocess.run(
        [sys.executable, f"{package}/manage.py", *args],
        cwd=REPO_ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize("package", [s.package for s in SITES])
def test_check_deploy_passes_with_production_environment_variables(package):
    result = manage(package, "check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize("package", [s.package for s in SITES])
def test_production_refuses_to_start_without_a_metrics_token(package):
    result = manage(package, "check", env={**PRODUCTION_ENV, "METRICS_TOKEN": ""})
    assert result.returncode != 0
    assert "METRICS_TOKEN must be set in production" in result.stderr


@pytest.mark.parametrize("package", [s.package for s in SITES])
def test_production_refuses_to_start_without_a_secret_key(package):
    result = manage(package, "check", env={**PRODUCTION_ENV, "DJANGO_SECRET_KEY": ""})
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set in production" in result.stderr


@pytest.mark.parametrize("package", [s.package for s in SITES])
def test_debug_is_off_unless_asked_for(package):
    result = manage(package, "shell", "-c", "from django.conf import settings; print(settings.DEBUG)", env={})
    assert result.stdout.strip().splitlines()[-1] == "False", result.stderr


SHOW_SECRETS = """
import json
from django.conf import settings
print(json.dumps({
    "secret_key": settings.SECRET_KEY,
    "database_password": settings.DATABASES["default"].get("PASSWORD", ""),
    "nats_password": settings.NATS_PASSWORD,
    "admin_password": settings.ADMIN_PASSWORD,
    "nats_url": settings.NATS_URL,
}))
"""
# A URL that carries a password (scheme://user:password@host), as a default written in the code would.
PASSWORD_IN_URL = re.compile(r"://[^/@\s:'\"]+:[^/@\s'\"]+@")


def secrets_seen(package: str, env: dict[str, str]) -> dict[str, str]:
    result = manage(package, "shell", "-c", SHOW_SECRETS, env=env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("package", [s.package for s in SITES])
def test_every_secret_setting_is_the_one_the_environment_gives(package):
    given = {name: secrets.token_urlsafe(16) for name in ("database", "nats", "admin")}
    env = {
        **PRODUCTION_ENV,
        "DATABASE_URL": f"postgres://operator:{given['database']}@db.example.com:5432/site",
        "NATS_URL": "nats://nats.example.com:4222",
        "NATS_USER": "operator",
        "NATS_PASSWORD": given["nats"],
        "DJANGO_ADMIN_PASSWORD": given["admin"],
    }

    seen = secrets_seen(package, env)

    assert seen["secret_key"] == PRODUCTION_ENV["DJANGO_SECRET_KEY"]
    assert seen["database_password"] == given["database"]
    assert seen["nats_password"] == given["nats"]
    assert seen["admin_password"] == given["admin"]
    assert given["nats"] not in seen["nats_url"]  # the URL is printed by logs and health checks


@pytest.mark.parametrize("package", [s.package for s in SITES])
def test_no_password_is_built_in_when_the_environment_gives_none(package):
    seen = secrets_seen(package, PRODUCTION_ENV)

    assert (seen["database_password"], seen["nats_password"], seen["admin_password"]) == ("", "", "")


def test_no_settings_file_writes_a_password_into_a_url():
    files = [
        REPO_ROOT / "sitekit" / "settings_base.py",
        REPO_ROOT / "bridge" / "settings.py",
        *(REPO_ROOT / s.package / "settings.py" for s in SITES),
    ]
    found = {f.name: PASSWORD_IN_URL.findall(f.read_text()) for f in files}
    assert {name: hits for name, hits in found.items() if hits} == {}


def test_the_generator_takes_its_nats_password_from_the_environment_only(monkeypatch):
    monkeypatch.setenv("NATS_USER", "generator")
    monkeypatch.setenv("NATS_PASSWORD", "from-the-environment")
    assert parse_options([]).nats_password == "from-the-environment"
    with pytest.raises(SystemExit):  # no command-line option, which every user of the host could read
        parse_options(["--nats-password", "on-the-command-line"])
    monkeypatch.delenv("NATS_PASSWORD")
    assert parse_options([]).nats_password == ""
