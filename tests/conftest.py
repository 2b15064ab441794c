"""Cross-service test fixtures: a real NATS server and real PostgreSQL databases per test.

Each test gets its own nats-server (JetStream on, free loopback port, empty store) and its
own copy of every site's database, cloned from a migrated template, so tests never see each
other's messages or rows and a developer's running stack is never touched.

The nats-server runs the shipped authorization config (deploy/nats/auth.conf): every
process logs in as its own user, the tests' own clients as ``admin`` (the ``nats_url`` the
fixtures hand out carries that login), and a test fails when the server refused any
publish or subscription, so the config is checked against every test's real traffic.
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


@pytest.fixture(scope="session")
def nats_auth() -> infra.NatsAuth:
    """This test run's NATS passwords, one per user of deploy/nats/auth.conf."""
    return infra.NatsAuth.generate()


def assert_no_permission_violations(group: ProcGroup) -> None:
    """Fail when a nats-server of ``group`` refused a publish or subscription: auth.conf is missing a subject."""
    violations = [line for proc in group.procs for line in infra.permission_violations(proc.log_text())]
    shown = "\n".join(violations[:20])
    assert violations == [], f"deploy/nats/auth.conf refused real traffic {len(violations)} times:\n{shown}"


@pytest.fixture
def nats_url(tmp_path: Path, nats_auth: infra.NatsAuth) -> Iterator[str]:
    """A private nats-server with JetStream and the shipped users, on a free loopback port; logs in as admin."""
    group = ProcGroup(tmp_path / "nats-logs")
    url = infra.start_embedded_nats(group, port=infra.free_port(), store_dir=tmp_path / "jetstream", auth=nats_auth)
    yield nats_auth.url_as(url, "admin")
    group.stop_all(timeout=10)
    assert_no_permission_violations(group)


@pytest.fixture
def system(procs: ProcGroup, nats_url: str, nats_auth: infra.NatsAuth, databases: dict[str, str]) -> System:
    """Starts site processes on free ports against this test's NATS (each as its own user) and databases."""
    ports = {s.package: infra.free_port() for s in SITES}
    return System(procs, nats_url=nats_url, nats_auth=nats_auth, database_urls=databases, ports=ports)


@pytest.fixture
def json_logs(system: System) -> None:
    """The processes ``system`` starts log JSON lines, as in production: one record per line,
    whatever a logged value holds, so ``tests.proclogs`` reads each record's level."""
    system.extra_env["LOG_FORMAT"] = "json"


@pytest.fixture
def restartable_nats(tmp_path: Path, nats_auth: infra.NatsAuth):
    """A NATS server (the shipped users; ``url`` logs in as admin) the test can stop and start again."""
    group = ProcGroup(tmp_path / "nats-logs")
    port = infra.free_port()
    spec = infra.embedded_nats_spec(port=port, store_dir=tmp_path / "js", auth=nats_auth)

    class Server:
        url = nats_auth.url_as(f"nats://127.0.0.1:{port}", "admin")
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
    assert_no_permission_violations(group)


@pytest.fixture
def cluster(tmp_path: Path, nats_auth: infra.NatsAuth):
    """Three nats-server nodes routed together, JetStream and the shipped users on each.

    Yields (nodes, client URL list logging in as admin); ``tests.helpers.client_names`` lists
    who is connected to a node.
    """
    group = ProcGroup(tmp_path / "cluster-logs")
    specs, urls = infra.nats_cluster_specs(tmp_path / "js", auth=nats_auth)
    for spec in specs:  # the monitoring endpoint, so a test can see who is connected to which node
        spec.argv += ["-m", str(infra.free_port())]
    nodes = [group.start(spec) for spec in specs]
    for node in nodes:
        node.wait_ready(20)
    yield nodes, nats_auth.url_as(urls, "admin")
    group.stop_all()
    assert_no_permission_violations(group)


def query(system: System, package: str, statement: str, params: list | tuple = ()) -> list[tuple]:
    """Run SQL against a site's database in this test (to check what was really stored)."""
    with psycopg.connect(system.database_urls[package]) as conn:
        return conn.execute(statement, params).fetchall()
