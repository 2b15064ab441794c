"""Oversized bodies are refused with a clear 413 before they cost memory: over HTTP on both web
servers (gunicorn, daphne), and over NATS by the route limit and the server's own."""

from __future__ import annotations

import asyncio

import nats
import nats.errors
import orjson
import pytest

from tests.helpers import ALARMS, BUILDINGS, WORKFLOWS
from tests.httpclient import post_json
from tests.natsclient import request

pytestmark = pytest.mark.system

LIMIT = 1024 * 1024  # DJANGO_MAX_BODY_BYTES's default
ROUTE_LIMIT = 64 * 1024  # bridge.routes.DEFAULT_MAX_PAYLOAD
SERVER_LIMIT = 1024 * 1024  # nats-server's max_payload default


def test_both_web_servers_refuse_a_body_over_the_limit_with_a_json_413(system):
    webs = [system.start_web(BUILDINGS), system.start_web(ALARMS)]
    for web in webs:
        web.wait_ready()
    huge = {"name": "x" * (LIMIT + 1)}

    for site, path in [(BUILDINGS, "/api/buildings/"), (ALARMS, "/api/alarms/1/acknowledge/")]:
        status, body = post_json(system.url(site, path), huge)
        assert status == 413, (site.package, body)
        assert body["error"]["status"] == 413
        assert body["error"]["message"].endswith(f"exceeds the limit of {LIMIT} bytes.")

    assert post_json(system.url(BUILDINGS, "/api/buildings/"), {"name": "Normal"})[0] == 201


def test_nats_requests_over_the_route_limit_get_413_and_over_the_server_limit_never_leave_the_client(system):
    system.start_bridge(WORKFLOWS).wait_ready()
    just_over = b'{"name": "' + b"x" * ROUTE_LIMIT + b'", "buildingId": 1}'

    headers, body = request(system.nats_url, "workflows.create", just_over)
    assert headers["Nats-Service-Error-Code"] == "413"
    assert body["error"]["message"] == f"Payload of {len(just_over)} bytes exceeds the limit of {ROUTE_LIMIT} bytes"

    async def send_past_the_server_limit() -> None:
        nc = await nats.connect(system.nats_url)
        try:
            assert nc.max_payload == SERVER_LIMIT
            await nc.request("workflows.create", b"x" * (SERVER_LIMIT + 1), timeout=5)
        finally:
            await nc.close()

    with pytest.raises(nats.errors.MaxPayloadError):
        asyncio.run(send_past_the_server_limit())

    headers, body = request(system.nats_url, "workflows.create", orjson.dumps({"name": "Normal", "buildingId": 1}))
    assert "Nats-Service-Error-Code" not in headers and body["buildingId"] == 1
