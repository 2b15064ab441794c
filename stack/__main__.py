"""``python -m stack run``: start the whole system; ``python -m stack services``: make sure
PostgreSQL and NATS are up for the tests."""

from __future__ import annotations

import argparse
import logging
import os
import secrets
import signal
import subprocess
import sys
import threading
from pathlib import Path
from urllib.parse import urlparse

from natswire.connection import redact_url
from natswire.nats_passwords import password_variable
from stack import infra
from stack.procs import ProcGroup
from stack.supervisor import Supervisor
from stack.system import REPO_ROOT, SITES, System

log = logging.getLogger("stack")

VAR = REPO_ROOT / "var"
POSTGRES_ADMIN_URL = os.environ.get("POSTGRES_ADMIN_URL", "postgres://postgres@127.0.0.1:5432/postgres")
NATS_URL = os.environ.get("NATS_URL", "")
NATS_PASSWORDS = VAR / "nats-passwords.env"
METRICS_TOKEN_FILE = VAR / "metrics-token"


def choose_nats(group: ProcGroup) -> tuple[str, infra.NatsAuth | None]:
    """NATS for the run, and the passwords of its users.

    With no ``NATS_URL`` set, an embedded server with the shipped authorization config and
    new random passwords, so a local run is checked as strictly as production. With
    ``NATS_URL`` set, that server as it is: each process logs in as its own user when every
    ``<USER>_NATS_PASSWORD`` is set too (as in compose's .env), else with the NATS_USER and
    NATS_PASSWORD of this environment, if any.
    """
    if NATS_URL:
        auth = infra.NatsAuth.from_env(os.environ)
        login = "each process as its own user" if auth else "as NATS_USER, if set"
        log.info("using NATS at %s (%s)", redact_url(NATS_URL), login)
        return NATS_URL, auth
    auth = infra.NatsAuth.generate()
    port = infra.free_port() if infra.reachable("127.0.0.1", 4222) else 4222
    url = infra.start_embedded_nats(group, port=port, store_dir=VAR / "nats", auth=auth)
    save_nats_passwords(auth)
    log.info("started NATS with JetStream at %s; every process logs in as its own user", url)
    log.info("NATS passwords of this run (user admin for the nats CLI) are in %s", NATS_PASSWORDS)
    return auth.url_as(url, "admin"), auth


def save_nats_passwords(auth: infra.NatsAuth) -> None:
    """Write this run's passwords where only their owner can read them (never to the console)."""
    write_secret(NATS_PASSWORDS, "".join(f"{password_variable(user)}={pw}\n" for user, pw in auth.passwords.items()))


def choose_metrics_token() -> str:
    """The bearer token /metrics wants: ``METRICS_TOKEN`` if set, else a new one for this run, in var/."""
    token = os.environ.get("METRICS_TOKEN") or secrets.token_urlsafe(30)
    write_secret(METRICS_TOKEN_FILE, token)
    return token


def write_secret(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` readable by its owner only, replacing any earlier file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(text)


def choose_databases() -> dict[str, str]:
    """One PostgreSQL database per site when PostgreSQL is reachable, else one SQLite file each."""
    if infra.postgres_reachable(POSTGRES_ADMIN_URL):
        urls = {}
        for site in SITES:
            infra.ensure_database(POSTGRES_ADMIN_URL, site.database)
            urls[site.package] = infra.database_url(POSTGRES_ADMIN_URL, site.database)
        log.info("using PostgreSQL at %s", urlparse(POSTGRES_ADMIN_URL).netloc)
        return urls
    log.warning("no PostgreSQL at %s: falling back to embedded SQLite databases in var/", POSTGRES_ADMIN_URL)
    VAR.mkdir(exist_ok=True)
    return {site.package: f"sqlite:///{VAR / site.database}.sqlite3" for site in SITES}


def run() -> int:
    """Start everything, print where to look, stop everything on Ctrl-C."""
    group = ProcGroup(VAR / "logs", echo=True)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    try:
        nats_url, nats_auth = choose_nats(group)
        system = System(
            group,
            nats_url=nats_url,
            nats_auth=nats_auth,
            database_urls=choose_databases(),
            extra_env={"METRICS_TOKEN": choose_metrics_token()},
        )
        logins = {}
        for site in SITES:
            system.migrate(site)
            logins[site.package] = system.ensure_admin(site)
        webs = [system.start_web(site) for site in SITES]
        bridges = [system.start_bridge(site, index) for site in SITES for index in range(1, site.bridges + 1)]
        for proc in [*webs, *bridges]:
            proc.wait_ready(60)
        # After the bridges: their stream captures alarm.created. Points that raise, repeat and clear.
        system.start_generator("--lifecycle", "points").wait_ready(30)
        print("\nThe system is up:", flush=True)
        for site in SITES:
            print(f"  {site.short:<10} {system.url(site, '/api/')}  (admin: {system.url(site, '/admin/')})")
            for line in logins[site.package].splitlines():
                print(f"             {line}")
        print("  (sign in to each admin and the live page with that account; API clients send its token")
        print("   as 'Authorization: Token <key>'; the admin lists tokens under Auth Token > Tokens)")
        alarms = next(site for site in SITES if site.package == "alarms_site")
        print(f"  live alarms {system.url(alarms, '/alarms/live/')}  (from alarms-generator: raises, repeats, clears)")
        print(f"  /metrics on each web port wants 'Authorization: Bearer <{METRICS_TOKEN_FILE}>'")
        print(f"  logs in {VAR / 'logs'}; press Ctrl-C to stop everything.\n", flush=True)
        # A process that dies is started again (as compose's restart policy would); one that
        # keeps dying at start-up ends the run with a non-zero exit.
        exit_code = Supervisor(group).run(stop)
    finally:
        print("\nstopping...", flush=True)
        codes = group.stop_all()
        print("stopped: " + ", ".join(f"{name}={code}" for name, code in codes.items()), flush=True)
    return exit_code


def services() -> int:
    """For the tests: start an embedded NATS on the configured port if none answers, check PostgreSQL."""
    nats_url = NATS_URL or "nats://127.0.0.1:4222"
    if not infra.nats_reachable(nats_url):
        port = urlparse(nats_url).port or 4222
        store = VAR / "nats-test"
        store.mkdir(parents=True, exist_ok=True)
        log_file = open(VAR / "nats-test.log", "ab")  # noqa: SIM115 - handed to the daemon
        subprocess.Popen(
            [infra.nats_binary(), "-a", "127.0.0.1", "-p", str(port), "-js", "-sd", str(store)],
            stdout=log_file,
            stderr=log_file,
            start_new_session=True,
        )
        infra.wait_for(lambda: infra.nats_reachable(nats_url), timeout=20, what="embedded NATS")
        log.info("started an embedded NATS server at %s (left running)", nats_url)
    if not infra.postgres_reachable(POSTGRES_ADMIN_URL):
        log.error("PostgreSQL is not reachable at %s: start it or set POSTGRES_ADMIN_URL", POSTGRES_ADMIN_URL)
        return 1
    log.info("PostgreSQL and NATS are reachable")
    return 0


def main(argv: list[str]) -> int:
    logging.basicConfig(level=logging.INFO, format="stack              | %(message)s")
    parser = argparse.ArgumentParser(prog="python -m stack")
    parser.add_argument("command", choices=["run", "services"])
    args = parser.parse_args(argv)
    os.chdir(Path(REPO_ROOT))
    return {"run": run, "services": services}[args.command]()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
