"""Django app config of the transactional outbox."""

from __future__ import annotations

from django.apps import AppConfig


class OutboxConfig(AppConfig):
    name = "bridge.outbox"
    # The label the outbox had while it lived in the bridge app: databases migrated then keep
    # their table (bridge_outboxmessage), migration history and permissions.
    label = "bridge"
    verbose_name = "Outbox"
    default_auto_field = "django.db.models.BigAutoField"
