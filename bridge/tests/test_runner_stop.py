"""A bridge told to stop while NATS is already gone stops cleanly: warnings, no traceback, workers closed."""

from __future__ import annotations

import asyncio

import nats.errors
from django.test import SimpleTestCase

from bridge.routes import RouteTable
from bridge.runner import Bridge


class GoneClient:
    """A NATS connection whose server went away: neither drain nor close can reach it."""

    async def drain(self) -> None:
        raise nats.errors.ConnectionClosedError

    async def close(self) -> None:
        raise nats.errors.ConnectionClosedError


class StopWithNatsDownTests(SimpleTestCase):
    def test_the_stop_goes_on_when_the_connection_cannot_be_drained_or_closed(self):
        table = RouteTable(service="stopper", version="1.0.0", routes=[])
        bridge = Bridge(table, nats_url="nats://127.0.0.1:1", name="stopper", concurrency=2, request_timeout=1.0)

        with self.assertLogs("bridge", level="WARNING") as logs:
            asyncio.run(bridge._shutdown(GoneClient(), []))

        self.assertIn("closing without drain", logs.output[0])
        self.assertIn("closing the NATS connection", logs.output[1])
        self.assertTrue(bridge._executor._shutdown)  # the workers were closed after all
