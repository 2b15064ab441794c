"""Typed readers for settings that come from environment variables.

Every setting of every process is read through these helpers, so a typo such as
``BRIDGE_CONCURRENCY=ten`` stops the process at start-up with a clear message instead
of surfacing later as a confusing failure.
"""

from __future__ import annotations

import os

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str) -> str:
    """Return the variable as text, or ``default`` when it is not set."""
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    """Return the variable as a boolean; anything but a clear yes/no is an error."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean (use 1/0, true/false, yes/no)")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    """Return the variable as an integer, checked against ``minimum``."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not an integer") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name}={value} must be at least {minimum}")
    return value


def env_float(name: str, default: float, *, minimum: float | None = None) -> float:
    """Return the variable as a float, checked against ``minimum``."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a number") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name}={value} must be at least {minimum}")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    """Return a comma-separated variable as a list of non-empty, stripped items."""
    raw = os.environ.get(name)
    if raw is None:
        return list(default)
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    """Return the variable if it is one of ``choices``; anything else is an error."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip()
    if value not in choices:
        raise ImproperlyConfigured(f"{name}={raw!r} must be one of {', '.join(choices)}")
    return value


def env_mapping(name: str, default: dict[str, str], *, values: tuple[str, ...] | None = None) -> dict[str, str]:
    """Return ``key=value,key=value`` as a dict over ``default``'s keys; a key not given keeps its default.

    An unknown key, a value outside ``values`` or a malformed item is an error, so a typo
    never silently leaves the default in place.
    """
    raw = os.environ.get(name)
    mapping = dict(default)
    if raw is None:
        return mapping
    for item in (part.strip() for part in raw.split(",")):
        if not item:
            continue
        key, sep, value = (text.strip() for text in item.partition("="))
        if not sep or key not in default:
            raise ImproperlyConfigured(f"{name}: {item!r} is not one of {', '.join(default)} = a value")
        if values is not None and value not in values:
            raise ImproperlyConfigured(f"{name}: {key}={value!r} must be one of {', '.join(values)}")
        mapping[key] = value
    return mapping
