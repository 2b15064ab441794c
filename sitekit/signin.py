"""Password guessing, slowed to a stop: what a sign-in lockout records, logs and counts.

django-axes does the locking (settings ``AXES_*`` in ``sitekit.settings_base``): after
``LOGIN_FAILURE_LIMIT`` wrong passwords for one user from one address, further tries from
there are refused with 429 for ``LOGIN_COOLOFF_SECONDS``, on the sign-in form and the admin's
alike. This module adds what operators watch: a log line and two ``/metrics`` counters.
``manage.py axes_reset_username <user>`` (or deleting the attempt in the admin) unlocks.
"""

from __future__ import annotations

import logging
from typing import Any

from django.contrib.auth.signals import user_login_failed
from prometheus_client import Counter

logger = logging.getLogger("sitekit.signin")

FAILURES = Counter("django_login_failures_total", "Sign-ins refused for a wrong username or password.")
LOCKOUTS = Counter("django_login_lockouts_total", "Sign-ins refused because the user and address are locked out.")


def on_failure(*, credentials: dict[str, Any] | None = None, **_: Any) -> None:
    FAILURES.inc()


def on_lockout(*, username: str | None = None, ip_address: str | None = None, **_: Any) -> None:
    LOCKOUTS.inc()
    logger.warning("sign-in locked out for user %r from %s after repeated wrong passwords", username, ip_address)


def watch_sign_ins() -> None:
    """Connect the receivers; called from ``SitekitConfig.ready``."""
    from axes.signals import user_locked_out

    user_login_failed.connect(on_failure, dispatch_uid="sitekit.signin.failure")
    user_locked_out.connect(on_lockout, dispatch_uid="sitekit.signin.lockout")
