"""Container healthcheck for processes that serve no HTTP (bridges, the alarms generator).

Exits 0 while this container holds an established TCP connection to a NATS server named in
``NATS_URL``, else 1. A container runs one process, so a connection in its network
namespace is that process's own: a bridge that lost NATS and is reconnecting turns
unhealthy. Reading the kernel's socket table needs no NATS client, costs nothing, and
cannot disturb the process being checked.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from urllib.parse import urlparse

ESTABLISHED = "01"  # the "st" column of /proc/net/tcp
SOCKET_TABLES = (Path("/proc/net/tcp"), Path("/proc/net/tcp6"))


def nats_ports(url: str) -> set[int]:
    """The ports of every server in ``url``, which may be a comma-separated list."""
    return {urlparse(part.strip()).port or 4222 for part in url.split(",") if part.strip()}


def connected_to(ports: set[int], tables: tuple[Path, ...] = SOCKET_TABLES) -> bool:
    """Whether any established TCP connection listed in ``tables`` goes to one of ``ports``."""
    suffixes = tuple(f":{port:04X}" for port in ports)
    for table in tables:
        if not table.exists():  # no tcp6 table when the kernel has IPv6 off
            continue
        for line in table.read_text().splitlines()[1:]:
            fields = line.split()
            if len(fields) > 3 and fields[2].endswith(suffixes) and fields[3] == ESTABLISHED:
                return True
    return False


if __name__ == "__main__":
    sys.exit(0 if connected_to(nats_ports(os.environ.get("NATS_URL", "nats://127.0.0.1:4222"))) else 1)
