"""Django app config: makes ``runbridge``, the outbox table and health views available."""

from __future__ import annotations

from django.apps import AppConfig


class BridgeConfig(AppConfig):
    name = "bridge"
    verbose_name = "NATS bridge"
    default_auto_field = "django.db.models.BigAutoField"
