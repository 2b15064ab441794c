"""The processes that make up the system, and how each is started."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from natswire.connection import without_login
from stack.accounts import Login
from stack.infra import NatsAuth
from stack.procs import Proc, ProcGroup, Spec

REPO_ROOT = Path(__file__).resolve().parent.parent
# The interpreter the system's processes run. The benchmark sets it to a virtualenv of the
# runtime requirements alone (``make bench``), as the image has: the development one adds
# packages Django REST framework imports when they are there (requests, PyYAML, Pygments).
PYTHON = os.environ.get("STACK_PYTHON") or sys.executable


@dataclass(frozen=True)
class Site:
    """One Django project: its database, its HTTP server and how many bridge replicas it runs."""

    package: str
    database: str
    port: int
    server: str  # "wsgi" (granian, or gunicorn: WSGI_SERVERS) or "daphne" (ASGI: HTTP and WebSockets)
    bridges: int
    # WSGI server processes unless WEB_WORKERS says otherwise: one per core where HTTP is the
    # hot path; one for workflows, whose hot path is its bridges (docs/performance.md).
    web_workers: int = 2

    @property
    def short(self) -> str:
        return self.package.removesuffix("_site")


SITES = [
    Site("buildings_site", "buildings", 8001, "wsgi", bridges=1),
    Site("workflows_site", "workflows", 8002, "wsgi", bridges=3, web_workers=1),
    Site("alarms_site", "alarms", 8003, "daphne", bridges=2),
]


def manage(site: Site, *args: str) -> list[str]:
    """``python <site>/manage.py <args>``."""
    return [PYTHON, str(REPO_ROOT / site.package / "manage.py"), *args]


# Daphne's cap on a WebSocket message from a client (it closes the socket with 1009 past it).
# A page's largest message, a resume listing 1000 unacknowledged ids, is about 20 KB.
# docker-compose.yml passes the same flags.
DAPHNE_LIMITS = ["--websocket-max-message-size", "65536", "--websocket-max-frame-size", "65536"]


def web_argv(site: Site, port: int) -> list[str]:
    """The HTTP server command; worker counts are chosen from measurements (see docs/performance.md)."""
    if site.server == "daphne":
        address = ["-b", "127.0.0.1", "-p", str(port)]
        return [PYTHON, "-m", "daphne", *DAPHNE_LIMITS, *address, f"{site.package}.asgi:application"]
    return wsgi_argv(f"{site.package}.wsgi", port)


# The WSGI server commands, each set from the same WEB_* variables: granian is the one the
# sites run (sitekit/webserver.py says why); WEB_SERVER=gunicorn runs the alternative.
WSGI_SERVERS = {
    "granian": lambda module, port: ["-m", "sitekit.webserver", module, "--port", str(port)],
    "gunicorn": lambda module, port: [
        "-m",
        "gunicorn",
        module,
        "-c",
        "python:sitekit.gunicorn_conf",
        "-b",
        f"127.0.0.1:{port}",
    ],
}


def wsgi_argv(module: str, port: int) -> list[str]:
    """The WSGI server serving ``module``'s ``application`` on a loopback port (also the bench's ceiling app)."""
    name = os.environ.get("WEB_SERVER", "granian")
    if name not in WSGI_SERVERS:
        raise SystemExit(f"WEB_SERVER must be one of {', '.join(WSGI_SERVERS)}, not {name!r}")
    return [PYTHON, *WSGI_SERVERS[name](module, port)]


class System:
    """Starts sites' processes with the right environment into one ``ProcGroup``.

    With ``nats_auth`` every process connects as its own NATS user (a site's user is its
    short name, the generator's is ``generator``), and ``nats_url`` may log in as ``admin``
    for the tests' own clients: the processes get it without that login.
    """

    def __init__(
        self,
        group: ProcGroup,
        *,
        nats_url: str,
        database_urls: dict[str, str],
        ports: dict[str, int] | None = None,
        extra_env: dict[str, str] | None = None,
        nats_auth: NatsAuth | None = None,
    ) -> None:
        self.group = group
        self.nats_url = nats_url
        self.nats_auth = nats_auth
        self.database_urls = database_urls
        self.ports = ports or {site.package: site.port for site in SITES}
        self.extra_env = extra_env or {}

    def env(self, site: Site) -> dict[str, str]:
        return {
            "DJANGO_SETTINGS_MODULE": f"{site.package}.settings",
            "DATABASE_URL": self.database_urls[site.package],
            **self.nats_env(site.short),
            "PYTHONPATH": str(REPO_ROOT),
            "PYTHONUNBUFFERED": "1",
            "WEB_WORKERS": os.environ.get("WEB_WORKERS", str(site.web_workers)),
            **self.extra_env,
        }

    def nats_env(self, user: str) -> dict[str, str]:
        """Where a process finds NATS and, with ``nats_auth``, who it logs in as."""
        if self.nats_auth is None:
            return {"NATS_URL": self.nats_url}
        return {"NATS_URL": without_login(self.nats_url), **self.nats_auth.client_env(user)}

    def url(self, site: Site, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.ports[site.package]}{path}"

    def migrate(self, site: Site) -> None:
        """Apply the site's migrations (before any of its processes start)."""
        subprocess.run(
            manage(site, "migrate", "--noinput", "-v", "0"),
            env={**os.environ, **self.env(site)},
            check=True,
            cwd=REPO_ROOT,
        )

    def ensure_admin(self, site: Site, login: Login | None = None) -> str:
        """Create the site's staff superuser and API token if missing; returns what the command printed.

        Without ``login`` the account comes from ``DJANGO_ADMIN_USER``/``DJANGO_ADMIN_PASSWORD``;
        with it, that exact account and token (test and benchmark systems).
        """
        env = {**os.environ, **self.env(site)}
        argv = manage(site, "ensure_admin")
        if login is not None:
            env.update(DJANGO_ADMIN_USER=login.username, DJANGO_ADMIN_PASSWORD=login.password)
            argv += ["--token", login.token]
        done = subprocess.run(argv, env=env, check=True, cwd=REPO_ROOT, stdout=subprocess.PIPE, text=True)
        return done.stdout

    def start_web(self, site: Site) -> Proc:
        spec = Spec(
            name=f"{site.short}-web",
            argv=web_argv(site, self.ports[site.package]),
            env=self.env(site),
            ready_url=self.url(site, "/health/live"),
        )
        return self.group.start(spec)

    def start_bridge(self, site: Site, index: int = 1, **env: str) -> Proc:
        spec = Spec(
            name=f"{site.short}-bridge-{index}",
            argv=manage(site, "runbridge"),
            env={**self.env(site), "BRIDGE_NAME": f"{site.short}-bridge-{index}", **env},
            ready_log=" serving ",
        )
        return self.group.start(spec)

    def start_generator(self, *args: str) -> Proc:
        """The alarms generator publishing to this system's NATS (``args`` as for ``python -m alarms_generator``)."""
        spec = Spec(
            name="alarms-generator",
            argv=[PYTHON, "-m", "alarms_generator", *args],
            env={
                **self.nats_env("generator"),
                "PYTHONPATH": str(REPO_ROOT),
                "PYTHONUNBUFFERED": "1",
                **self.extra_env,
            },
            ready_log="publishing alarm.created",
        )
        return self.group.start(spec)
