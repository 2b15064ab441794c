"""Django app config: makes ``runbridge``, the outbox table and health views available."""

from __future__ import annotations

from django.apps import AppConfig


class BridgeConfig(AppConfig):
    name = "bridge"
    verbose_name = "NATS bridge"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from bridge.authentication import forget_tokens_on_account_changes

        forget_tokens_on_account_changes()
