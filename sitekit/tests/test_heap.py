"""Start-up objects are frozen out of later collections, in every entry point of the system."""

from __future__ import annotations

import gc
import subprocess
import sys
from pathlib import Path

import pytest

from sitekit.heap import freeze_startup_objects

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_objects_made_after_the_freeze_are_still_collected():
    class Node:
        pass

    try:
        freeze_startup_objects()
        frozen = gc.get_freeze_count()
        node = Node()
        node.myself = node  # a cycle: only the collector frees it
        del node
        assert gc.collect() >= 1
        assert gc.get_freeze_count() == frozen
        assert not [o for o in gc.get_objects() if isinstance(o, Node)]
    finally:
        gc.unfreeze()


@pytest.mark.parametrize(
    ("module", "settings"),
    [
        ("buildings_site.wsgi", "buildings_site.settings"),
        ("workflows_site.wsgi", "workflows_site.settings"),
        ("alarms_site.asgi", "alarms_site.settings"),
        ("bench.ceiling.wsgi", "bench.ceiling.settings"),
    ],
)
def test_each_web_entry_point_loads_its_urls_then_freezes(module, settings):
    probe = (
        f"import gc, sys, {module}; "
        f"from django.conf import settings; "
        f"print(gc.get_freeze_count() > 10000, settings.ROOT_URLCONF in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=REPO_ROOT,
        env={"DJANGO_SETTINGS_MODULE": settings, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True", "True"]
