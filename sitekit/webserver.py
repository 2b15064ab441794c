"""``python -m sitekit.webserver <site>.wsgi``: the WSGI sites' web server, granian, set from the environment.

granian parses HTTP and keeps connections in Rust, outside the GIL, and hands each request
to a worker's blocking threads: measured beside gunicorn's gthread workers on the 2-core
machine (docs/performance.md), the thinnest Django read cost about a third less CPU per
request, and requests, not connections, are spread over the threads. Two processes by
default, one per core, since a read is CPU work under the GIL; eight threads each, since a
create mostly waits on the NATS round trip and PostgreSQL and threads share one NATS
connection per process.

gunicorn stays the alternative (``sitekit/gunicorn_conf.py``, ``WEB_SERVER=gunicorn`` in
``python -m stack``), with the same variables:

- ``WEB_WORKERS`` processes, ``WEB_THREADS`` threads each;
- ``WEB_GRACEFUL_TIMEOUT``: seconds a stopping worker may take to finish the requests it
  holds, after which it is killed;
- ``WEB_ACCESS_LOG``: ``-`` for one line per request on standard output, a path for a file,
  empty for none.
"""

from __future__ import annotations

import argparse
import copy
import os
import sys
import tempfile
from typing import Any

from granian import Granian
from granian.constants import Interfaces
from granian.http import HTTP1Settings
from granian.log import LOGGING_CONFIG

# Seconds to wait for a request's headers, and so for the next request on an idle
# kept-alive connection (gunicorn's keepalive): slow or silent clients do not hold a socket.
HEADER_READ_SECONDS = 5


def env_int(name: str, default: int) -> int:
    """A positive whole number from the environment (this runs before Django's settings exist)."""
    value = os.environ.get(name, "").strip() or str(default)
    if not value.isdigit() or int(value) < 1:
        raise SystemExit(f"{name} must be a whole number of at least 1, not {value!r}")
    return int(value)


def access_log_config(target: str) -> dict[str, Any] | None:
    """granian's logging, with its access lines written to ``target`` when it is a path."""
    if target in {"", "-"}:
        return None
    config = copy.deepcopy(LOGGING_CONFIG)
    config["handlers"]["access"] = {"formatter": "access", "class": "logging.FileHandler", "filename": target}
    return config


def server(module: str, *, host: str, port: int) -> Granian:
    """The granian server of a site's WSGI ``application``."""
    access_log = os.environ.get("WEB_ACCESS_LOG", "").strip()
    return Granian(
        f"{module}:application",
        address=host,
        port=port,
        interface=Interfaces.WSGI,
        workers=env_int("WEB_WORKERS", 2),
        blocking_threads=env_int("WEB_THREADS", 8),
        websockets=False,
        http1_settings=HTTP1Settings(header_read_timeout=HEADER_READ_SECONDS * 1000),
        log_access=bool(access_log),
        log_dictconfig=access_log_config(access_log),
        workers_kill_timeout=env_int("WEB_GRACEFUL_TIMEOUT", 20),
        respawn_failed_workers=True,  # as gunicorn replaces a worker that died
    )


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m sitekit.webserver", description=__doc__.splitlines()[0])
    parser.add_argument("module", help="the site's WSGI module, e.g. buildings_site.wsgi")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args(argv)
    # Several workers serve /metrics in turn: each writes its samples to a shared directory so
    # any worker can report the whole server's figures. Set before the workers load the site
    # and so prometheus_client, which fixes how it stores values then.
    os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", tempfile.mkdtemp(prefix="prometheus-"))
    server(args.module, host=args.host, port=args.port).serve()


if __name__ == "__main__":
    main(sys.argv[1:])
