"""``python -m stack run``: start the whole system; ``python -m stack services``: make sure
PostgreSQL and NATS are up for the tests."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path
from urllib.parse import urlparse

from stack import infra
from stack.procs import ProcGroup
from stack.system import REPO_ROOT, SITES, System

log = logging.getLogger("stack")

VAR = REPO_ROOT / "var"
POSTGRES_ADMIN_URL = os.environ.get("POSTGRES_ADMIN_URL", "postgres://postgres@127.0.0.1:5432/postgres")
NATS_URL = os.environ.get("NATS_URL", "nats://127.0.0.1:4222")


def choose_nats(group: ProcGroup) -> str:
    """The configured NATS when reachable, else an embedded server on the same port."""
    if infra.nats_reachable(NATS_URL):
        log.info("using NATS at %s", NATS_URL)
        return NATS_URL
    port = urlparse(NATS_URL).port or 4222
    log.info("no NATS at %s: starting an embedded server with JetStream", NATS_URL)
    return infra.start_embedded_nats(group, port=port, store_dir=VAR / "nats")


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
        system = System(group, nats_url=choose_nats(group), database_urls=choose_databases())
        logins = {}
        for site in SITES:
            system.migrate(site)
            logins[site.package] = system.ensure_admin(site)
        webs = [system.start_web(site) for site in SITES]
        bridges = [system.start_bridge(site, index) for site in SITES for index in range(1, site.bridges + 1)]
        for proc in [*webs, *bridges]:
            proc.wait_ready(60)
        system.start_generator().wait_ready(30)  # after the bridges: their stream captures alarm.created
        print("\nThe system is up:", flush=True)
        for site in SITES:
            print(f"  {site.short:<10} {system.url(site, '/api/')}  (admin: {system.url(site, '/admin/')})")
            for line in logins[site.package].splitlines():
                print(f"             {line}")
        print("  (sign in to each admin and the live page with that account; API clients send its token")
        print("   as 'Authorization: Token <key>'; the admin lists tokens under Auth Token > Tokens)")
        alarms = next(site for site in SITES if site.package == "alarms_site")
        print(f"  live alarms {system.url(alarms, '/alarms/live/')}  (one alarm every 10 s from alarms-generator)")
        print(f"  logs in {VAR / 'logs'}; press Ctrl-C to stop everything.\n", flush=True)
        stop.wait()
    finally:
        print("\nstopping...", flush=True)
        codes = group.stop_all()
        print("stopped: " + ", ".join(f"{name}={code}" for name, code in codes.items()), flush=True)
    return 0


def services() -> int:
    """For the tests: start an embedded NATS on the configured port if none answers, check PostgreSQL."""
    if not infra.nats_reachable(NATS_URL):
        port = urlparse(NATS_URL).port or 4222
        store = VAR / "nats-test"
        store.mkdir(parents=True, exist_ok=True)
        log_file = open(VAR / "nats-test.log", "ab")  # noqa: SIM115 - handed to the daemon
        subprocess.Popen(
            [infra.nats_binary(), "-a", "127.0.0.1", "-p", str(port), "-js", "-sd", str(store)],
            stdout=log_file,
            stderr=log_file,
            start_new_session=True,
        )
        infra.wait_for(lambda: infra.nats_reachable(NATS_URL), timeout=20, what="embedded NATS")
        log.info("started an embedded NATS server at %s (left running)", NATS_URL)
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
