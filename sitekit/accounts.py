"""The local staff account of a site: made once with an API token, then left to its owner.

Each site has its own database and so its own users; ``manage.py ensure_admin`` runs this
for one site, and ``python -m stack run`` runs it for every site after migrating.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from rest_framework.authtoken.models import Token


@dataclass(frozen=True)
class AdminAccount:
    """What ``admin_ensure`` did. ``password`` and ``token`` are set only when made just now."""

    username: str
    created: bool
    password: str | None
    token: str | None


@transaction.atomic
def admin_ensure(*, username: str, password: str, production: bool, token_key: str | None = None) -> AdminAccount:
    """Create the staff superuser ``username`` and its API token, whichever is missing.

    An existing user keeps its password: an operator may have changed it since. Without a
    password, one is made up and returned once, except in production, where a password
    nobody chose (and that only a log line would hold) is refused.
    """
    user_model = get_user_model()
    user = user_model._default_manager.filter(**{user_model.USERNAME_FIELD: username}).first()
    created = user is None
    made_up = None
    if created:
        if not password:
            if production:
                raise ImproperlyConfigured(
                    f"DJANGO_ADMIN_PASSWORD must be set in production to create the admin user {username!r}"
                )
            password = made_up = secrets.token_urlsafe(16)
        user = user_model._default_manager.create_superuser(
            **{user_model.USERNAME_FIELD: username}, email="", password=password
        )
    token, token_created = Token.objects.get_or_create(user=user, defaults={"key": token_key} if token_key else {})
    return AdminAccount(
        username=username,
        created=created,
        password=made_up,
        token=token.key if token_created else None,
    )
