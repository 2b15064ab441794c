"""``manage.py runbridge``: serve this site's NATS routes until SIGTERM."""

from __future__ import annotations

import asyncio
import os
import socket

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from bridge.metrics import serve_metrics
from bridge.routes import load_routes
from bridge.runner import Bridge
from natswire.errors import NatsAuthorizationFailed
from sitekit.heap import freeze_startup_objects


class Command(BaseCommand):
    help = "Serve this site's NATS subjects (request-reply, events, outbox) until SIGTERM."
    # The system checks run once per start of the system, with ``migrate``, before any of a
    # site's processes (compose's migrate jobs, ``python -m stack``); every replica repeating
    # them would only slow each start.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--concurrency",
            type=int,
            default=settings.BRIDGE_CONCURRENCY,
            help="Handlers running at once in this process.",
        )

    def handle(self, *args, **options) -> None:
        keep_connections(settings.BRIDGE_CONN_MAX_AGE)
        table = load_routes()
        name = settings.BRIDGE_NAME or f"{table.service}-bridge@{socket.gethostname()}:{os.getpid()}"
        bridge = Bridge(
            table,
            nats_url=settings.NATS_URL,
            name=name,
            concurrency=options["concurrency"],
            request_timeout=settings.NATS_REQUEST_TIMEOUT,
            nats_user=settings.NATS_USER,
            nats_password=settings.NATS_PASSWORD,
        )

        serve_metrics(settings.BRIDGE_METRICS_PORT)
        freeze_startup_objects()  # sitekit.heap: collections under load skip what start-up made

        async def main() -> int:
            bridge.install_signal_handlers()
            return await bridge.run()

        try:
            code = asyncio.run(main())
        except NatsAuthorizationFailed as error:
            # One clear line and exit 1: retrying a refused password would only hide it.
            raise CommandError(str(error)) from None
        if code:
            raise SystemExit(code)


def keep_connections(max_age: int) -> None:
    """Let each worker thread keep its PostgreSQL connection ``max_age`` seconds, whatever the site's web keeps.

    Before any connection is made: each thread's connection reads the setting when it connects.
    SQLite files keep their setting (several processes write one file; see ``sitekit.settings_base``).
    """
    for database in settings.DATABASES.values():
        if "postgresql" in database["ENGINE"]:
            database["CONN_MAX_AGE"] = max_age
