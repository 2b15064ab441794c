"""Production settings pass Django's deployment checklist, and refuse to start without secrets."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys

import pytest

from stack.system import REPO_ROOT, SITES

PRODUCTION_ENV = {
    "DJANGO_PRODUCTION": "1",
    "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
    "DJANGO_ALLOWED_HOSTS": "buildings.example.com",
}


def manage(package: str, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
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
def test_production_refuses_to_start_without_a_secret_key(package):
    result = manage(package, "check", env={**PRODUCTION_ENV, "DJANGO_SECRET_KEY": ""})
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set in production" in result.stderr


@pytest.mark.parametrize("package", [s.package for s in SITES])
def test_debug_is_off_unless_asked_for(package):
    result = manage(package, "shell", "-c", "from django.conf import settings; print(settings.DEBUG)", env={})
    assert result.stdout.strip().splitlines()[-1] == "False", result.stderr
