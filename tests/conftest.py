"""Cross-service test fixtures: a real NATS server and real PostgreSQL databases per test.

Each test gets its own nats-server (JetStream on, free loopback port, empty store) and its
own copy of every site's database, cloned from a migrated template, so tests never see each
other's messages or rows and a developer's running stack is never touched.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from stack import infra
from stack.accounts import TEST_LOGIN
from stack.procs import ProcGroup
from stack.system import SITES, Site, System

ADMIN_URL = os.environ.get("POSTGRES_ADMIN_URL", "postgres://postgres@127.0.0.1:5432/postgres")
RUN_ID = uuid.uuid4().hex[:8]


def site(package: str) -> Site:
    """The ``Site`` named ``package``."""
    return next(s for s in SITES if s.package == package)


@pytest.fixture(scope="session")
def template_databases() -> Iterator[dict[str, str]]:
    """One migrated template database per site, with the test account, made once per test session."""
    if not infra.postgres_reachable(ADMIN_URL):
        pytest.fail(f"PostgreSQL is not reachable at {ADMIN_URL} (start it, or set POSTGRES_ADMIN_URL)")
    names = {s.package: f"systest_{RUN_ID}_{s.database}_template" for s in SITES}
    group = ProcGroup(Path("/tmp") / f"systest-{RUN_ID}")
    migrator = System(
        group,
        nats_url="nats://127.0.0.1:1",
        database_urls={p: infra.database_url(ADMIN_URL, n) for p, n in names.items()},
    )
    for s in SITES:
        infra.ensure_database(ADMIN_URL, names[s.package])
        migrator.migrate(s)
        migrator.ensure_admin(s, TEST_LOGIN)  # the account tests.httpclient and the browser sign in with
    yield names
    for name in names.values():
        infra.drop_database(ADMIN_URL, name)


@pytest.fixture
def databases(template_databases: dict[str, str]) -> Iterator[dict[str, str]]:
    """Fresh per-test databases (site package -> URL), cloned from the templates."""
    names = {p: f"systest_{RUN_ID}_{uuid.uuid4().hex[:6]}_{site(p).database}" for p in template_databases}
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        for package, name in names.items():
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template_databases[package]}"')
    yield {p: infra.database_url(ADMIN_URL, n) for p, n in names.items()}
    for name in names.values():
        infra.drop_database(ADMIN_URL, name)


@pytest.fixture
def procs(tmp_path: Path) -> Iterator[ProcGroup]:
    """Processes started by the test; all stopped (SIGTERM, then SIGKILL) at the end."""
    group = ProcGroup(tmp_path / "logs")
    yield group
    group.stop_all(timeout=10)


@pytest.fixture
def nats_url(tmp_path: Path) -> Iterator[str]:
    """A private nats-server with JetStream, on a free loopback port."""
    group = ProcGroup(tmp_path / "nats-logs")
    url = infra.start_embedded_nats(group, port=infra.free_port(), store_dir=tmp_path / "jetstream")
    yield url
    group.stop_all(timeout=10)


@pytest.fixture
def system(procs: ProcGroup, nats_url: str, databases: dict[str, str]) -> System:
    """Starts site processes on free ports against this test's NATS and databases."""
    ports = {s.package: infra.free_port() for s in SITES}
    return System(procs, nats_url=nats_url, database_urls=databases, ports=ports)


@pytest.fixture
def restartable_nats(tmp_path: Path):
    """A NATS server the test can stop and start again on the same port and store."""
    group = ProcGroup(tmp_path / "nats-logs")
    port = infra.free_port()
    spec = infra.embedded_nats_spec(port=port, store_dir=tmp_path / "js")

    class Server:
        url = f"nats://127.0.0.1:{port}"
        proc = None

        def start(self):
            self.proc = group.start(spec)
            self.proc.wait_ready(20)

        def stop(self):
            self.proc.stop()

    server = Server()
    server.start()
    yield server
    group.stop_all()


@pytest.fixture
def cluster(tmp_path: Path):
    """Three nats-server nodes routed together, JetStream on each; yields (nodes, client URL list)."""
    group = ProcGroup(tmp_path / "cluster-logs")
    specs, urls = infra.nats_cluster_specs(tmp_path / "js")
    nodes = [group.start(spec) for spec in specs]
    for node in nodes:
        node.wait_ready(20)
    yield nodes, urls
    group.stop_all()


def query(system: System, package: str, statement: str, params: list | tuple = ()) -> list[tuple]:
    """Run SQL against a site's database in this test (to check what was really stored)."""
    with psycopg.connect(system.database_urls[package]) as conn:
        return conn.execute(statement, params).fetchall()
