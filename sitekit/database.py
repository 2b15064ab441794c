"""Telling a lost database apart from a bad query."""

from __future__ import annotations

from django.db import DatabaseError, InterfaceError


def is_connection_error(error: DatabaseError) -> bool:
    """Whether the error means the database cannot be reached (not a bad query)."""
    if isinstance(error, InterfaceError):
        return True
    text = str(error).lower()
    return any(
        marker in text
        for marker in ("connection", "connect", "server closed", "terminating", "timeout", "could not receive")
    )
