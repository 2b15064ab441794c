"""Django app config of the site kit: its sign-in templates, ``ensure_admin``, the token cache, lockout metrics."""

from __future__ import annotations

from django.apps import AppConfig


class SitekitConfig(AppConfig):
    name = "sitekit"
    verbose_name = "Site kit"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        import sitekit.filters  # noqa: F401 - registers the OpenAPI extension of the filter backend
        from sitekit.authentication import forget_tokens_on_account_changes
        from sitekit.signin import watch_sign_ins

        forget_tokens_on_account_changes()
        watch_sign_ins()
