"""What a process builds at start-up is left out of every later garbage collection.

A full collection walks every object the collector tracks, and a Django process holds
hundreds of thousands that live as long as it does: modules, classes, models, URL patterns,
serializers' fields. Walking them took 63 to 75 ms in the alarms web process under live load,
each time holding every socket's frames (docs/performance.md). ``gc.freeze()`` moves them to
the permanent generation; collections then walk only what was made since (5 to 7 ms there).
Start-up garbage frozen with them is never freed: a few hundred kilobytes, once.
"""

from __future__ import annotations

import gc

from django.urls import get_resolver


def freeze_startup_objects(*, with_urls: bool = False) -> None:
    """Freeze what exists now; ``with_urls`` loads the URLconf first (its views and serializers), as a web does."""
    if with_urls:
        get_resolver().url_patterns  # noqa: B018 (Django loads it on the first request otherwise)
    gc.freeze()
