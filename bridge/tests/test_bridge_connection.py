"""A serving bridge's handlers publish over the bridge's own connection, against a real nats-server."""

from __future__ import annotations

import asyncio
import json
import urllib.request

import nats
import pytest

from bridge.client import SyncNatsClient, get_client
from bridge.routes import Every, RouteTable
from bridge.runner import Bridge
from bridge.testing import NatsServer

SUBJECT = "test.handler-news"


def connection_names(server: NatsServer) -> list[str]:
    with urllib.request.urlopen(f"http://127.0.0.1:{server.monitor_port}/connz", timeout=5) as response:
        return sorted(connection["name"] for connection in json.load(response)["connections"])


def test_a_handler_publishes_over_the_bridge_connection_and_the_process_client_returns_after(nats_server):
    def publish_news() -> None:  # a worker thread, as every handler
        get_client().publish(SUBJECT, {"news": 1})

    table = RouteTable(
        service="test-bridge",
        version="1.0.0",
        routes=[],
        schedules=[Every(name="news", seconds=60, handler=publish_news)],
    )
    seen: dict = {}

    async def scenario() -> None:
        watcher = await nats.connect(nats_server.url, name="watcher")
        arrived: asyncio.Queue = asyncio.Queue()
        await watcher.subscribe(SUBJECT, cb=arrived.put)
        bridge = Bridge(table, nats_url=nats_server.url, name="test-bridge-1", concurrency=2, request_timeout=1)
        serving = asyncio.create_task(bridge.run())
        try:
            message = await asyncio.wait_for(arrived.get(), timeout=10)
            seen["payload"] = json.loads(message.data)
            seen["connections"] = await asyncio.to_thread(connection_names, nats_server)
            with pytest.raises(RuntimeError, match="wait for itself"):
                get_client().publish(SUBJECT, {"news": 2})  # on the bridge's loop thread: refused, not hung
        finally:
            bridge.stop()
            await asyncio.wait_for(serving, timeout=10)
            await watcher.close()

    asyncio.run(scenario())

    assert seen["payload"] == {"news": 1}
    assert seen["connections"] == ["test-bridge-1", "watcher"]  # no second connection for the handler
    assert isinstance(get_client(), SyncNatsClient)
