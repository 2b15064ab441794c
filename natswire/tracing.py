"""Trace ids: one id follows a piece of work from the HTTP request through NATS into logs.

The id lives in a context variable that the web middleware (``sitekit.middleware``), the
NATS client and the log filter all read, so no layer passes it around by hand.
"""

from __future__ import annotations

import logging
import re
import uuid
from contextvars import ContextVar

TRACE_HEADER = "Trace-Id"  # NATS header
HTTP_TRACE_HEADER = "X-Trace-Id"
_VALID_TRACE = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")

trace_id_var: ContextVar[str] = ContextVar("trace_id", default="-")


def new_trace_id() -> str:
    """A fresh, random trace id."""
    return uuid.uuid4().hex


def clean_trace_id(value: str | None) -> str:
    """The given id when it is safe to log and forward, else a fresh one."""
    if value and _VALID_TRACE.match(value):
        return value
    return new_trace_id()


def current_trace_id() -> str:
    """The trace id of the work in progress, creating one when there is none."""
    value = trace_id_var.get()
    if value == "-":
        value = new_trace_id()
        trace_id_var.set(value)
    return value


class TraceIdFilter(logging.Filter):
    """Adds ``trace_id`` to every log record so formatters can print it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "trace_id"):
            record.trace_id = trace_id_var.get()
        return True
