"""``manage.py checkasyncapi``: does docs/asyncapi.yaml still describe this site's NATS subjects?"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from bridge import asyncapi
from bridge.routes import load_routes


class Command(BaseCommand):
    help = "Compare the AsyncAPI document with this site's route table and serializers; fail on any difference."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--document", type=Path, default=asyncapi.DOCUMENT, help="The AsyncAPI document to check.")

    def handle(self, *args, **options) -> None:
        document = asyncapi.load_document(options["document"])
        table = load_routes()
        problems = [
            *asyncapi.structure_problems(document),
            *asyncapi.example_problems(document),
            *asyncapi.route_problems(document, table),
            *asyncapi.serializer_problems(document, settings.SITE_PACKAGE, table),
        ]
        if problems:
            raise CommandError("\n".join([f"{options['document']} disagrees with {table.service}:", *problems]))
        self.stdout.write(f"{options['document']} describes every subject of {table.service}.")
