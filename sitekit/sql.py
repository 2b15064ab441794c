"""Small pieces of hand-written SQL the sites and the bridge share."""

from __future__ import annotations

from collections.abc import Sized


def placeholders(values: Sized) -> str:
    """``%s, %s, ...``, one per value: the inside of an ``IN (...)`` whose values are passed as parameters."""
    return ", ".join(["%s"] * len(values))
