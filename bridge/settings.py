"""NATS settings shared by every site's processes (web and bridge).

Each site's ``settings.py`` star-imports this module after ``sitekit.settings_base``. Every
value comes from the environment, with defaults that run on a developer's machine.
"""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured

from natswire.envelope import WIRES
from sitekit.env import env_choice, env_float, env_int, env_str

# The bridge (``runbridge``, ``checkasyncapi``) and its transactional outbox.
BRIDGE_APPS = ["bridge", "bridge.outbox"]

NATS_URL = env_str("NATS_URL", "nats://127.0.0.1:4222")
# This process's NATS user (deploy/nats/auth.conf lets each one use only its own subjects).
# Kept out of NATS_URL so that the URL, which logs and health checks print, holds no secret.
NATS_USER = env_str("NATS_USER", "")
NATS_PASSWORD = env_str("NATS_PASSWORD", "")
if NATS_PASSWORD and not NATS_USER:
    raise ImproperlyConfigured("NATS_PASSWORD is set but NATS_USER is not: set both, or neither")
NATS_REQUEST_TIMEOUT = env_float("NATS_REQUEST_TIMEOUT", 2.0, minimum=0.05)
BRIDGE_CONCURRENCY = env_int("BRIDGE_CONCURRENCY", 32, minimum=1)
BRIDGE_NAME = env_str("BRIDGE_NAME", "")
# Seconds a bridge's worker thread keeps its PostgreSQL connection. The threads live as long as
# the process, so a site whose web process must connect per request (the alarms site under
# ASGI, CONN_MAX_AGE 0) still keeps them here: a connection per batch was a PostgreSQL backend
# started per batch (``runbridge`` applies it).
BRIDGE_CONN_MAX_AGE = env_int("DATABASE_CONN_MAX_AGE", 60, minimum=0)
BRIDGE_METRICS_PORT = env_int("BRIDGE_METRICS_PORT", 0, minimum=0)
# Copies of each JetStream stream; 3 on a 3-node NATS cluster survives losing a node.
JETSTREAM_REPLICAS = env_int("JETSTREAM_REPLICAS", 1, minimum=1)
# How requests to other services are written (natswire/envelope.py): "plain" JSON for ours,
# "nestjs" for a NestJS service with a string pattern (@MessagePattern('workflows.create')),
# "nestjs-object" for one with an object pattern (@MessagePattern({ cmd: 'workflows.create' }),
# sent on the subject {"cmd":"workflows.create"}). NATS_PEER_WIRE is the default of every
# Outbox route; a route's own setting (in its site's settings) overrides it.
NATS_PEER_WIRE = env_choice("NATS_PEER_WIRE", "plain", WIRES)
