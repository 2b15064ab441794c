"""``manage.py ensure_admin``: make sure this site has its staff superuser and an API token."""

from __future__ import annotations

import re

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError, CommandParser

from sitekit.accounts import admin_ensure

TOKEN_KEY = re.compile(r"[0-9A-Za-z]{20,40}")


class Command(BaseCommand):
    help = (
        "Create the staff superuser DJANGO_ADMIN_USER (password DJANGO_ADMIN_PASSWORD, made up and printed "
        "once when empty, refused in production) and its API token, unless they exist."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--token",
            help="Key of the API token when one is created (fixed credentials for throwaway test systems).",
        )

    def handle(self, *args, **options) -> None:
        token_key = options["token"]
        if token_key is not None and not TOKEN_KEY.fullmatch(token_key):
            raise CommandError("--token must be 20 to 40 letters and digits")
        try:
            account = admin_ensure(
                username=settings.ADMIN_USERNAME,
                password=settings.ADMIN_PASSWORD,
                production=settings.PRODUCTION,
                token_key=token_key,
            )
        except ImproperlyConfigured as error:
            raise CommandError(str(error)) from None
        name = account.username
        if account.password:
            self.stdout.write(f"Created the staff superuser {name!r} with the password {account.password}")
            self.stdout.write("  (shown only now: note it, or set another one in the admin)")
        elif account.created:
            self.stdout.write(f"Created the staff superuser {name!r} with the password from DJANGO_ADMIN_PASSWORD")
        else:
            self.stdout.write(f"The user {name!r} exists: left as it is")
        if account.token:
            self.stdout.write(f"API token of {name!r}: {account.token}  (send 'Authorization: Token <key>')")
