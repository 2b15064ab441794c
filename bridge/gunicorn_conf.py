"""gunicorn settings shared by the WSGI sites; each value can be overridden from the environment.

Threads rather than more processes: a create request spends most of its time waiting on
the NATS round trip and PostgreSQL, and threads share one NATS connection per process.
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


def child_exit(server, worker) -> None:
    """Forget a dead worker's live gauges."""
    multiprocess.mark_process_dead(worker.pid)
