"""Django app config of the site kit: its sign-in template, ``ensure_admin`` and the token cache."""

from __future__ import annotations

from django.apps import AppConfig


class SitekitConfig(AppConfig):
    name = "sitekit"
    verbose_name = "Site kit"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from sitekit.authentication import forget_tokens_on_account_changes

        forget_tokens_on_account_changes()
