"""Fixtures of the bridge's tests."""

from __future__ import annotations

import pytest

from bridge.testing import NatsServer


@pytest.fixture
def nats_server():
    """A private nats-server (JetStream on) for one test."""
    server = NatsServer().start()
    yield server
    server.stop()
