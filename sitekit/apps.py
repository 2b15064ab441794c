"""Django app config of the site kit: its sign-in templates, ``ensure_admin``, the token cache, lockout metrics."""

from __future__ import annotations

from django.apps import AppConfig


class SitekitConfig(AppConfig):
    name = "sitekit"
    verbose_name = "Site kit"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # sitekit.filters (and with it drf-spectacular's schema machinery) is not imported here:
        # DRF imports it as DEFAULT_FILTER_BACKENDS when a process loads its API views, which
        # registers its OpenAPI extension before any schema is built; bridges never need it.
        from sitekit.authentication import forget_tokens_on_account_changes
        from sitekit.signin import watch_sign_ins

        forget_tokens_on_account_changes()
        watch_sign_ins()
