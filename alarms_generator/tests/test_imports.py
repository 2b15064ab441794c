"""The generator is a plain asyncio process: importing it must not load Django."""

from __future__ import annotations

import subprocess
import sys

from stack.system import REPO_ROOT

FRAMEWORKS = ("django", "rest_framework", "channels")
PROBE = (
    f"import sys, alarms_generator.__main__\nprint(sorted(m for m in sys.modules if m.split('.')[0] in {FRAMEWORKS!r}))"
)


def test_it_runs_without_loading_django():
    result = subprocess.run([sys.executable, "-c", PROBE], cwd=REPO_ROOT, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]", result.stdout
