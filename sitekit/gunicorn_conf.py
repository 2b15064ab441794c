"""gunicorn settings for the WSGI sites, the alternative to granian (sitekit/webserver.py, which says
why granian is the default): ``WEB_SERVER=gunicorn python -m stack run``. Each value can be
overridden from the environment, with the same variables.

Threaded workers (gthread), two of them by default: one per core, so reads, which are CPU
work under the GIL, use both cores; threads so that a create, which mostly waits on the NATS
round trip and PostgreSQL, does not hold a whole process, and so that connections are kept
alive (sync workers close each one). Threads share one NATS connection per process. More
processes measured no faster on two cores and cost about 60 MB each (README, Performance).
"""

import os
import tempfile

# Several workers serve /metrics in turn: each writes its samples to a shared directory so
# any worker can report the whole server's figures. Set before prometheus_client is first
# imported, which fixes how it stores values.
os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", tempfile.mkdtemp(prefix="prometheus-"))

from prometheus_client import multiprocess

workers = int(os.environ.get("WEB_WORKERS", "2"))
threads = int(os.environ.get("WEB_THREADS", "8"))
worker_class = "gthread"
graceful_timeout = int(os.environ.get("WEB_GRACEFUL_TIMEOUT", "20"))
timeout = 30
keepalive = 5
accesslog = os.environ.get("WEB_ACCESS_LOG") or None
control_socket_disable = True
# Workers prove they are alive by touching a file every second; in memory, not on disk.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None


def child_exit(server, worker) -> None:
    """Forget a dead worker's live gauges."""
    multiprocess.mark_process_dead(worker.pid)
