"""The shipped NATS authorization (deploy/nats/auth.conf) on a real nats-server.

Each service logs in as its own user and may use only its own subjects: the server refuses
anything else (and says so in its log), a refused message never reaches the service it was
aimed at, a wrong login stops a process at start-up with one clear line, and the whole
system works with authorization on.
"""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import nats
import nats.errors
import orjson
import pytest
from nats.aio.client import Client

from natswire import nats_passwords
from natswire.connection import open_connection
from natswire.errors import NatsAuthorizationFailed
from stack import infra
from stack.infra import NatsAuth, wait_for
from stack.procs import Proc, ProcGroup
from stack.system import REPO_ROOT
from tests.conftest import query, site
from tests.httpclient import post_json
from tests.test_alarms_pipeline import alarm

pytestmark = pytest.mark.system

BUILDINGS = site("buildings_site")
WORKFLOWS = site("workflows_site")
ALARMS = site("alarms_site")


@dataclass
class Server:
    url: str  # no login in it
    proc: Proc

    def violations(self) -> list[str]:
        return infra.permission_violations(self.proc.log_text())


@pytest.fixture
def nats_server(tmp_path: Path, nats_auth: NatsAuth) -> Iterator[Server]:
    """A nats-server with the shipped users; unlike conftest's, refusals are expected and read here."""
    group = ProcGroup(tmp_path / "nats-logs")
    url = infra.start_embedded_nats(group, port=infra.free_port(), store_dir=tmp_path / "jetstream", auth=nats_auth)
    yield Server(url, group.procs[0])
    group.stop_all(timeout=10)


@pytest.fixture
def nats_url(nats_server: Server, nats_auth: NatsAuth) -> str:
    """Overrides conftest's, so that ``system`` runs against this module's server (logging in as admin)."""
    return nats_auth.url_as(nats_server.url, "admin")


async def ignore(error: Exception) -> None:
    """An error callback for connections whose errors the test does not look at."""


def server_errors_for(
    server: Server, auth: NatsAuth, user: str, action: Callable[[Client], Awaitable[object]]
) -> list[str]:
    """Log in as ``user`` the way every process does, run ``action``, return the errors the server sent back."""

    async def run() -> list[str]:
        errors: list[str] = []

        async def collect(error: Exception) -> None:
            errors.append(str(error))

        password = auth.passwords[user]
        nc = await open_connection(
            server.url, name=f"test as {user}", user=user, password=password, connect_timeout=5, error_cb=collect
        )
        try:
            await action(nc)
            await settle(nc)
        finally:
            await nc.close()
        return errors

    return asyncio.run(run())


async def settle(nc: Client) -> None:
    """Return once the server has handled everything sent so far (and answered a refusal).

    Twice: nats.py writes a flush's PING straight to the socket, possibly ahead of commands
    still in its buffer; by the first PONG that buffer is written, so the second PING is last.
    """
    await nc.flush()
    await nc.flush()


def admin(url: str, action: Callable[[Client], Awaitable[object]]) -> object:
    """Run ``action`` on a connection logged in as admin (``url`` carries the login)."""

    async def run() -> object:
        nc = await nats.connect(url)
        try:
            return await action(nc)
        finally:
            await nc.close()

    return asyncio.run(run())


# ---------- the config itself


def test_the_shipped_config_passes_nats_server_t_and_needs_every_password(nats_auth):
    environment = {name: value for name, value in os.environ.items() if "_NATS_PASSWORD" not in name}
    check = [infra.nats_binary(), "-c", str(infra.AUTH_CONFIG), "-t"]

    valid = subprocess.run(check, env={**environment, **nats_auth.server_env()}, capture_output=True, text=True)
    missing = subprocess.run(check, env=environment, capture_output=True, text=True)

    assert valid.returncode == 0, valid.stdout + valid.stderr
    assert "is valid" in valid.stdout + valid.stderr
    assert missing.returncode != 0
    assert "BUILDINGS_NATS_PASSWORD_HASH" in missing.stdout + missing.stderr


def test_the_server_is_given_bcrypt_hashes_never_the_passwords(nats_auth):
    server_env = nats_auth.server_env()

    assert set(server_env) == {nats_passwords.hash_variable(user) for user in infra.NATS_USERS}
    for user, value in server_env.items():
        assert re.fullmatch(r'"\$2b\$11\$[./A-Za-z0-9]{53}"', value), user
    assert not any(password in value for password in nats_auth.passwords.values() for value in server_env.values())


def test_generated_passwords_are_long_random_and_url_safe():
    passwords = [password for _ in range(50) for password in NatsAuth.generate().passwords.values()]

    assert all(re.fullmatch(r"[A-Za-z0-9_-]{40}", password) for password in passwords)
    assert len(set(passwords)) == len(passwords)


PUNCTUATION = "p@ss w\"rd $HOME ${X} #;,=:/\\'{}[]1k"


def test_a_password_may_hold_any_character(tmp_path):
    auth = NatsAuth({**NatsAuth.generate().passwords, "buildings": PUNCTUATION})
    group = ProcGroup(tmp_path / "nats-logs")
    url = infra.start_embedded_nats(group, port=infra.free_port(), store_dir=tmp_path / "jetstream", auth=auth)

    async def log_in(password: str) -> None:
        nc = await open_connection(
            url, name="test", user="buildings", password=password, connect_timeout=5, error_cb=ignore
        )
        await nc.close()

    try:
        asyncio.run(asyncio.wait_for(log_in(PUNCTUATION), 20))
        with pytest.raises(NatsAuthorizationFailed):
            asyncio.run(asyncio.wait_for(log_in(PUNCTUATION[:-1]), 20))
    finally:
        group.stop_all(timeout=10)


def test_the_shipped_config_has_exactly_the_users_the_processes_log_in_as():
    users = re.findall(r"user = (\w+), password = \$(\w+)", infra.AUTH_CONFIG.read_text())

    assert users == [(user, nats_passwords.hash_variable(user)) for user in infra.NATS_USERS]


# ---------- each user only its own subjects


async def publish(nc: Client, subject: str) -> None:
    await nc.publish(subject, b"{}")


async def subscribe(nc: Client, subject: str) -> None:
    await nc.subscribe(subject)


# Where NestJS's ClientProxy.send({ cmd: 'workflows.create' }, ...) asks.
NEST_WORKFLOWS_CREATE = '{"cmd":"workflows.create"}'

REFUSED = [
    ("generator", publish, "workflows.create"),
    ("generator", publish, NEST_WORKFLOWS_CREATE),
    ("buildings", publish, "alarm.created"),
    ("alarms", subscribe, "workflows.create"),
    ("alarms", subscribe, NEST_WORKFLOWS_CREATE),
    ("buildings", subscribe, NEST_WORKFLOWS_CREATE),
    ("workflows", publish, "alarms.live.created"),
    ("alarms", publish, "$JS.API.STREAM.DELETE.ALARMS"),
    ("generator", publish, "$JS.API.STREAM.PURGE.ALARMS"),
    # Replies: each user reads only its own inbox, never another service's replies.
    ("generator", subscribe, "_INBOX.>"),
    ("alarms", subscribe, "_INBOX.buildings.>"),
    # Workflows may answer buildings and alarms by name; into any other inbox only as a reply to a request.
    ("workflows", publish, "_INBOX.generator.spoofed"),
    # Only the buildings service says a building is gone.
    ("generator", publish, "building.deleted"),
    ("alarms", publish, "building.deleted"),
    ("buildings", publish, "$JS.API.STREAM.DELETE.BUILDINGS"),
    # Workflow transitions and events: only the workflows service serves and announces them.
    ("generator", publish, "workflows.transition"),
    ("alarms", subscribe, "workflows.transition"),
    ("generator", publish, "workflow.status_changed"),
    ("workflows", publish, "building.deleted"),
    ("workflows", publish, "$JS.API.STREAM.DELETE.WORKFLOWS"),
    ("workflows", publish, "$JS.API.STREAM.PURGE.BUILDINGS"),
    ("workflows", publish, "$JS.API.CONSUMER.MSG.NEXT.BUILDINGS.alarms-service-buildings"),
    # The alarms service reads building.deleted through its own durable only, and deletes no stream.
    ("alarms", publish, "$JS.API.STREAM.DELETE.BUILDINGS"),
    ("alarms", publish, "$JS.API.CONSUMER.MSG.NEXT.BUILDINGS.workflows-service-buildings"),
    ("alarms", publish, "$JS.API.CONSUMER.MSG.NEXT.WORKFLOWS.buildings-service-workflows"),
    ("alarms", publish, "workflow.status_changed"),
    ("alarms", publish, NEST_WORKFLOWS_CREATE),  # the alarms bridge asks in plain JSON only
    ("alarms", publish, "$JS.API.STREAM.DELETE.ALARM_COUNTS"),
    ("buildings", publish, "alarms.open_counts"),  # only the alarms service counts alarms
]


@pytest.mark.parametrize(("user", "action", "subject"), REFUSED)
def test_the_server_refuses_a_subject_that_is_not_the_users_own(nats_server, nats_auth, user, action, subject):
    errors = server_errors_for(nats_server, nats_auth, user, lambda nc: action(nc, subject))

    kind = "publish to" if action is publish else "subscription to"
    shown = subject.replace('"', '\\"')  # the server escapes the quotes of a NestJS object pattern
    assert [error.lower() for error in errors] == [f'nats: permissions violation for {kind} "{shown}"'.lower()]
    logged = wait_for(nats_server.violations, timeout=10, what="the refusal in the server's log")
    assert len(logged) == 1 and f'"$G/user:{user}"' in logged[0], logged
    assert f'Subject "{subject}"' in logged[0] or f'Subject "{shown}"' in logged[0], logged


ALLOWED = [
    ("buildings", publish, "workflows.create"),
    ("buildings", publish, NEST_WORKFLOWS_CREATE),
    ("workflows", subscribe, "workflows.create"),
    ("workflows", subscribe, NEST_WORKFLOWS_CREATE),
    ("generator", publish, "alarm.created"),
    ("buildings", publish, "building.deleted"),
    ("workflows", subscribe, "workflows.transition"),
    ("workflows", publish, "workflow.status_changed"),
    ("workflows", publish, "deadletter.workflows.building.deleted"),
    ("workflows", publish, "_INBOX.alarms.reply"),
    ("workflows", publish, "$JS.API.CONSUMER.MSG.NEXT.BUILDINGS.workflows-service-buildings"),
    ("alarms", publish, "$JS.API.CONSUMER.MSG.NEXT.BUILDINGS.alarms-service-buildings"),
    ("alarms", publish, "deadletter.alarms.building.deleted"),
    ("alarms", publish, "$JS.API.CONSUMER.MSG.NEXT.WORKFLOWS.alarms-service-workflows"),
    ("alarms", publish, "deadletter.alarms.workflow.status_changed"),
    ("alarms", publish, "workflows.create"),
    ("alarms", publish, "alarms.open_counts"),
]


@pytest.mark.parametrize(("user", "action", "subject"), ALLOWED)
def test_the_server_lets_each_user_use_its_own_subjects_in_both_nestjs_pattern_forms(
    nats_server, nats_auth, user, action, subject
):
    errors = server_errors_for(nats_server, nats_auth, user, lambda nc: action(nc, subject))

    assert errors == []
    assert nats_server.violations() == []


def test_workflows_create_from_the_generator_is_refused_and_never_reaches_the_workflows_bridge(system, nats_server):
    system.start_bridge(WORKFLOWS).wait_ready()
    auth = system.nats_auth
    smuggled = orjson.dumps({"name": "Smuggled", "buildingId": 7})

    refused = server_errors_for(
        nats_server, auth, "generator", lambda nc: nc.publish("workflows.create", smuggled, reply="_INBOX.generator.x")
    )
    # The same request from buildings, whose subject it is, is answered: the bridge was listening.
    allowed = b'{"name": "Allowed", "buildingId": 8}'
    answered = server_errors_for(
        nats_server, auth, "buildings", lambda nc: nc.request("workflows.create", allowed, timeout=10)
    )

    assert refused == ['nats: permissions violation for publish to "workflows.create"']
    assert answered == []
    assert query(system, "workflows_site", "SELECT name, building_id FROM workflows_workflow") == [("Allowed", 8)]
    assert workflows_requests_handled(system.nats_url) == 1


def workflows_requests_handled(url: str) -> int:
    """Requests the workflows service counted (its micro stats, asked as admin)."""

    async def stats(nc: Client) -> int:
        reply = await nc.request("$SRV.STATS.workflows", b"", timeout=5)
        return sum(endpoint["num_requests"] for endpoint in orjson.loads(reply.data)["endpoints"])

    return admin(url, stats)


def test_alarm_created_from_buildings_is_refused_and_never_stored(system, nats_server):
    system.start_bridge(ALARMS).wait_ready()
    auth = system.nats_auth
    smuggled, genuine = alarm(name="Smuggled alarm"), alarm(name="Genuine alarm")

    refused = server_errors_for(
        nats_server, auth, "buildings", lambda nc: nc.publish("alarm.created", orjson.dumps(smuggled))
    )
    stored = server_errors_for(
        nats_server, auth, "generator", lambda nc: nc.jetstream().publish("alarm.created", orjson.dumps(genuine))
    )

    assert refused == ['nats: permissions violation for publish to "alarm.created"']
    assert stored == []
    names = wait_for(
        lambda: query(system, "alarms_site", "SELECT name FROM alarms_alarm"), timeout=30, what="the genuine alarm"
    )
    assert names == [("Genuine alarm",)]
    assert admin(system.nats_url, lambda nc: nc.jetstream().stream_info("ALARMS")).state.messages == 1


def test_a_refused_subscription_receives_nothing(nats_server, nats_auth):
    received: dict[str, list[bytes]] = {}

    async def listen(nc: Client) -> None:
        for subject in ("workflows.create", "alarms.live.created"):
            sub = await nc.subscribe(subject)
            await settle(nc)
            await admin_publish(nats_auth.url_as(nats_server.url, "admin"), subject)
            received[subject] = await drain(sub)

    errors = server_errors_for(nats_server, nats_auth, "alarms", listen)

    assert errors == ['nats: permissions violation for subscription to "workflows.create"']
    assert received == {"workflows.create": [], "alarms.live.created": [b"news"]}


async def admin_publish(url: str, subject: str) -> None:
    nc = await nats.connect(url)
    await nc.publish(subject, b"news")
    await nc.flush()
    await nc.close()


async def drain(sub) -> list[bytes]:
    """What arrived on ``sub`` within half a second."""
    messages = []
    try:
        while True:
            messages.append((await sub.next_msg(timeout=0.5)).data)
    except nats.errors.TimeoutError:
        return messages


# ---------- logging in


@pytest.mark.parametrize(
    ("user", "password", "message"),
    [
        ("", "", "NATS authorization failed at nats://127.0.0.1:.*: the server requires a user"),
        ("buildings", "not-the-password", 'NATS authorization failed for user "buildings" at nats://127.0.0.1:'),
    ],
)
def test_it_refuses_an_anonymous_or_wrong_login_with_a_clear_error(nats_server, user, password, message):
    connecting = open_connection(
        nats_server.url, name="test", user=user, password=password, connect_timeout=5, error_cb=ignore
    )

    with pytest.raises(NatsAuthorizationFailed, match=message) as refused:
        asyncio.run(asyncio.wait_for(connecting, 20))

    assert "not-the-password" not in str(refused.value)


def test_a_login_inside_the_url_works_too_and_gets_its_users_reply_inbox(nats_server, nats_auth):
    errors: list[str] = []

    async def collect(error: Exception) -> None:
        errors.append(str(error))

    async def ask() -> None:
        url = nats_auth.url_as(nats_server.url, "buildings")
        nc = await open_connection(url, name="test", connect_timeout=5, error_cb=collect)
        try:
            # Nobody serves workflows.create here: the server's "no responders" answer reaches
            # the reply inbox only if the buildings user may read it.
            with pytest.raises(nats.errors.NoRespondersError):
                await nc.request("workflows.create", b"{}", timeout=5)
        finally:
            await nc.close()

    asyncio.run(ask())

    assert errors == []


def test_a_bridge_with_a_wrong_password_stops_at_start_up_with_one_clear_line(system):
    bridge = system.start_bridge(WORKFLOWS, 1, NATS_PASSWORD="not-the-password")

    code = bridge.popen.wait(60)

    log = bridge.log_text()
    assert code == 1
    url = system.nats_env("workflows")["NATS_URL"]
    assert [line for line in log.splitlines() if "authorization" in line.lower()] == [
        f'CommandError: NATS authorization failed for user "workflows" at {url}: check NATS_USER and NATS_PASSWORD'
    ]
    assert "Traceback" not in log and "not-the-password" not in log


def test_the_generator_with_a_wrong_password_stops_at_start_up_with_one_clear_line(system):
    env = {**os.environ, **system.nats_env("generator"), "NATS_PASSWORD": "not-the-password"}

    finished = subprocess.run(
        [sys.executable, "-m", "alarms_generator", "--count", "1"],
        env={**env, "PYTHONPATH": str(REPO_ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert finished.returncode == 1
    output = finished.stdout + finished.stderr
    refusals = [line for line in output.splitlines() if "authorization" in line.lower()]
    assert len(refusals) == 1 and 'NATS authorization failed for user "generator"' in refusals[0], output
    assert "Traceback" not in output and "not-the-password" not in output


# ---------- the whole system


def test_the_whole_system_works_with_authorization_on_and_logs_no_password(system, nats_server):
    processes = [
        system.start_web(BUILDINGS),
        system.start_bridge(BUILDINGS),
        system.start_bridge(WORKFLOWS),
        system.start_bridge(ALARMS),
    ]
    for proc in processes:
        proc.wait_ready()
    generator = system.start_generator("--count", "3", "--interval", "0")

    status, building = post_json(system.url(BUILDINGS, "/api/buildings/"), {"name": "Locked-down office"})

    assert (status, building["workflow_status"]) == (201, "created")
    workflows = query(system, "workflows_site", "SELECT id, building_id FROM workflows_workflow")
    assert workflows == [(building["workflow_id"], building["id"])]
    wait_for(
        lambda: query(system, "alarms_site", "SELECT count(*) FROM alarms_alarm") == [(3,)],
        timeout=30,
        what="3 generated alarms stored",
    )
    assert generator.popen.wait(30) == 0
    assert nats_server.violations() == []
    logs = "".join(proc.log_text() for proc in system.group.procs)
    assert [user for user, password in system.nats_auth.passwords.items() if password in logs] == []


def test_the_workflows_bridge_reads_deletions_and_announces_changes_with_authorization_on(system, nats_server):
    system.start_bridge(WORKFLOWS).wait_ready()  # creates the WORKFLOWS and BUILDINGS streams as the workflows user
    body = b'{"name": "Doomed", "buildingId": 41}'
    asked = server_errors_for(
        nats_server, system.nats_auth, "buildings", lambda nc: nc.request("workflows.create", body, timeout=10)
    )
    deletion = orjson.dumps({"buildingId": 41, "deletedAt": "2025-05-01T10:00:00Z"})
    admin(system.nats_url, lambda nc: nc.jetstream().publish("building.deleted", deletion))

    assert asked == []
    wait_for(
        lambda: query(system, "workflows_site", "SELECT status FROM workflows_workflow") == [("cancelled",)],
        timeout=30,
        what="the deleted building's workflow cancelled",
    )
    wait_for(
        lambda: admin(system.nats_url, lambda nc: nc.jetstream().stream_info("WORKFLOWS")).state.messages == 2,
        timeout=30,
        what="its creation and cancellation announced",
    )
    assert nats_server.violations() == []
