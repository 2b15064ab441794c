"""Django app config of the bridge: makes ``runbridge`` and ``checkasyncapi`` available."""

from __future__ import annotations

from django.apps import AppConfig


class BridgeConfig(AppConfig):
    name = "bridge"
    # "bridge" names the outbox app (bridge/outbox/apps.py), which owned that label first.
    label = "nats_bridge"
    verbose_name = "NATS bridge"

    def ready(self) -> None:
        from bridge.client import follow_nats_settings

        follow_nats_settings()
