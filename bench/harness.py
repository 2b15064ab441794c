"""The system under test, started through ``stack`` exactly as ``python -m stack run`` does.

Differences from the run command, all for isolation: a private nats-server on a free
loopback port, private databases (``bench_<site>``, dropped and created anew) and free
HTTP ports, so a developer's running stack and data are never disturbed.
"""

from __future__ import annotations

import os
import shutil
import signal
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from stack import infra
from stack.accounts import TEST_LOGIN
from stack.procs import Proc, ProcGroup, Spec
from stack.system import REPO_ROOT, SITES, Site, System, wsgi_argv

ADMIN_URL = os.environ.get("POSTGRES_ADMIN_URL", "postgres://postgres@127.0.0.1:5432/postgres")
WORK_DIR = REPO_ROOT / "var" / "bench"
READY_TIMEOUT = 60.0
BRIDGE_READY = " serving "  # the ready line of ``System.start_bridge``


def database_name(site: Site) -> str:
    return f"bench_{site.database}"


def alarms_missing() -> str | None:
    """Why the alarm figures cannot run in this checkout, or None when they can."""
    if not (REPO_ROOT / "alarms_site" / "manage.py").exists():
        return "alarms_site/manage.py does not exist yet"
    if not (REPO_ROOT / "alarms_generator").is_dir():
        return "alarms_generator/ does not exist yet"
    if not any(site.package == "alarms_site" for site in SITES):
        return "alarms_site is not in stack.system.SITES yet, so the run command does not start it"
    return None


@dataclass
class Startup:
    """Seconds from starting the processes to each one being ready."""

    migrate_seconds: float
    ready_seconds: dict[str, float] = field(default_factory=dict)


@dataclass
class Context:
    """What every benchmark gets: the running system and how long and how often to measure."""

    stack: BenchStack
    duration: float  # seconds per HTTP run (and the time cap of the NATS runs)
    repeat: int  # runs per figure, for min/median/max
    quick: bool  # a smoke check: short runs, small counts
    idle_memory: dict = field(default_factory=dict)  # taken right after start-up


class BenchStack:
    """Every process of the system, plus the handles the benchmarks need."""

    def __init__(self, *, extra_env: dict[str, str] | None = None) -> None:
        shutil.rmtree(WORK_DIR, ignore_errors=True)
        WORK_DIR.mkdir(parents=True)
        self.group = ProcGroup(WORK_DIR / "logs")
        self.nats_port = infra.free_port()
        # The shipped NATS users, as the run command has them; the benchmarks' own clients log in as admin.
        nats_auth = infra.NatsAuth.generate()
        url = infra.start_embedded_nats(
            self.group, port=self.nats_port, store_dir=WORK_DIR / "jetstream", auth=nats_auth
        )
        self.nats_url = nats_auth.url_as(url, "admin")
        self.nats = self.group.procs[-1]
        self.sites = list(SITES)
        self.database_urls = {s.package: infra.database_url(ADMIN_URL, database_name(s)) for s in self.sites}
        ports = {s.package: infra.free_port() for s in self.sites}
        self.system = System(
            self.group,
            nats_url=self.nats_url,
            nats_auth=nats_auth,
            database_urls=self.database_urls,
            ports=ports,
            extra_env=extra_env,
        )
        self.webs: dict[str, Proc] = {}
        self.bridges: dict[str, list[Proc]] = {s.package: [] for s in self.sites}
        self.startup: Startup | None = None
        self.ceiling_url = ""  # set by start_ceiling

    def site(self, package: str) -> Site:
        return next(s for s in self.sites if s.package == package)

    def start(self) -> Startup:
        """Fresh databases, migrations, then every process; times the part the run command times."""
        began = time.monotonic()
        for site in self.sites:
            infra.drop_database(ADMIN_URL, database_name(site))
            infra.ensure_database(ADMIN_URL, database_name(site))
            self.system.migrate(site)
            self.system.ensure_admin(site, TEST_LOGIN)  # the account every load generator signs in with
        startup = Startup(migrate_seconds=time.monotonic() - began)
        began = time.monotonic()
        for site in self.sites:
            self.webs[site.package] = self.system.start_web(site)
        for site in self.sites:
            for index in range(1, site.bridges + 1):
                self.bridges[site.package].append(self.system.start_bridge(site, index))
        # Each process is watched by its own thread: a web whose server listens before its
        # workers have loaded the site holds a readiness request up to its timeout, and one
        # shared loop would then see every other process ready that much later.
        procs = [*self.webs.values(), *self._all_bridges()]
        failures: list[str] = []
        watchers = [
            threading.Thread(target=self._watch_start, args=(proc, began, startup, failures), daemon=True)
            for proc in procs
        ]
        for watcher in watchers:
            watcher.start()
        for watcher in watchers:
            watcher.join()
        if failures:
            raise RuntimeError("\n".join(failures))
        self.startup = startup
        return startup

    def _watch_start(self, proc: Proc, began: float, startup: Startup, failures: list[str]) -> None:
        """Record when ``proc`` is ready, or why it never was."""
        deadline = began + READY_TIMEOUT
        while not self._ready(proc):
            if not proc.alive():
                time.sleep(0.5)  # let the log copier catch up with its last words
                failures.append(f"{proc.spec.name} exited during start-up:\n{proc.log_text()[-3000:]}")
                return
            if time.monotonic() > deadline:
                failures.append(f"{proc.spec.name} not ready after {READY_TIMEOUT}s")
                return
            time.sleep(0.02)
        startup.ready_seconds[proc.spec.name] = time.monotonic() - began

    def _all_bridges(self) -> list[Proc]:
        return [proc for procs in self.bridges.values() for proc in procs]

    def _ready(self, proc: Proc) -> bool:
        """A web is ready when ``/health/ready`` answers 200 (database and NATS reachable)."""
        if proc in self.webs.values():
            url = proc.spec.ready_url.replace("/health/live", "/health/ready")
            try:
                with urllib.request.urlopen(url, timeout=1) as response:
                    return response.status == 200
            except OSError:
                return False
        return proc.spec.ready_log in proc.log_text()

    def start_ceiling(self, ready_path: str) -> Proc:
        """The ceiling app (``bench.ceiling``) on its own port, served as the buildings web is, on its database.

        Started and stopped by the figure that measures it, so the other figures never see it.
        """
        site = self.site("buildings_site")
        port = infra.free_port()
        env = {**self.system.env(site), "DJANGO_SETTINGS_MODULE": "bench.ceiling.settings"}
        url = f"http://127.0.0.1:{port}"
        spec = Spec(name="ceiling-web", argv=wsgi_argv("bench.ceiling.wsgi", port), env=env, ready_url=url + ready_path)
        proc = self.group.start(spec)
        proc.wait_ready(READY_TIMEOUT)
        self.ceiling_url = url
        return proc

    def url(self, package: str, path: str) -> str:
        return self.system.url(self.site(package), path)

    def set_bridges(self, package: str, count: int) -> float:
        """Run exactly ``count`` bridge replicas of a site (stopping the newest, or starting more).

        Replicas to stop get SIGTERM together, as ``ProcGroup.stop_all`` does; returns the
        seconds they took to exit.
        """
        procs = self.bridges[package]
        leaving = procs[count:]
        del procs[count:]
        began = time.monotonic()
        for proc in leaving:
            proc.signal(signal.SIGTERM)
        for proc in leaving:
            proc.stop()
        stopped_in = time.monotonic() - began
        while len(procs) < count:
            procs.append(self._restart_bridge(package, len(procs) + 1))
        return stopped_in

    def _restart_bridge(self, package: str, index: int) -> Proc:
        """Start a bridge replica and wait for its own ready line.

        A restarted replica appends to the log of its earlier life; ``Proc.log_text`` reads
        only what this life printed, so the earlier ready line does not count.
        """
        site = self.site(package)
        proc = self.system.start_bridge(site, index)
        deadline = time.monotonic() + READY_TIMEOUT
        while BRIDGE_READY not in proc.log_text():
            if not proc.alive() or time.monotonic() > deadline:
                raise RuntimeError(f"{proc.spec.name} did not start:\n{proc.log_text()[-3000:]}")
            time.sleep(0.02)
        return proc

    def restore_bridges(self, package: str) -> None:
        """Back to the replica count the run command uses."""
        self.set_bridges(package, self.site(package).bridges)

    def query(self, package: str, statement: str, params: tuple = ()) -> list[tuple]:
        """SQL on a site's bench database (to check what was really stored)."""
        with psycopg.connect(self.database_urls[package]) as conn:
            return conn.execute(statement, params).fetchall()

    def processes(self) -> dict[str, Proc]:
        """Running processes by name, nats-server included."""
        return {proc.spec.name: proc for proc in self.group.procs if proc.alive()}

    def stop(self, *, keep_databases: bool = False) -> dict[str, int | None]:
        """Stop everything (SIGTERM, then SIGKILL) and drop the bench databases."""
        codes = self.group.stop_all(timeout=20)
        if not keep_databases:
            for site in self.sites:
                infra.drop_database(ADMIN_URL, database_name(site))
        return codes

    @property
    def log_dir(self) -> Path:
        return self.group.log_dir
