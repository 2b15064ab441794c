"""The blocking NATS client of Django processes, against a real nats-server."""

from __future__ import annotations

import json
import threading
import urllib.request

from bridge.client import SyncNatsClient


def test_it_opens_one_connection_when_threads_make_their_first_calls_at_once(nats_server):
    client = SyncNatsClient(nats_server.url, name="test-client")
    start = threading.Barrier(8)

    def first_call() -> None:
        start.wait(5)
        client.publish("test.first-calls", {"hello": "world"})

    threads = [threading.Thread(target=first_call) for _ in range(8)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(10)
        monitor = f"http://127.0.0.1:{nats_server.monitor_port}/connz"
        with urllib.request.urlopen(monitor, timeout=5) as response:
            connections = json.load(response)["connections"]
        assert [connection["name"] for connection in connections] == ["test-client"]
    finally:
        client.close()
