"""``python -m stack.testrun``: every test suite of the repository, one after the other.

Each site's tests run under their own settings (a pytest process per site), then the
cross-service tests. Each site's ``TestCase``s run once more through ``manage.py test``, to keep
that entry point honest: those runs are shown as checks and not added to the totals, since they
are the same tests (a failing check counts as one failure). The last line sums up the distinct
tests as ``N passed, N failed, N skipped`` (expected failures among the skips); the exit
status is non-zero on any failure.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from dataclasses import dataclass

from stack.system import REPO_ROOT

SITE_PACKAGES = ["buildings_site", "workflows_site", "alarms_site"]


@dataclass
class Outcome:
    name: str
    passed: int = 0
    failed: int = 0
    skipped: int = 0
    code: int = 0
    seconds: float = 0.0
    check: bool = False  # the same tests again under another runner: shown, not counted


def suites() -> list[tuple[str, list[str]]]:
    """(name, command) of every suite that exists in this checkout."""
    pytest = [sys.executable, "-m", "pytest", "-q"]
    found = [("natswire, sitekit, bridge", [*pytest, "natswire", "sitekit", "bridge", "--ds=workflows_site.settings"])]
    for package in SITE_PACKAGES:
        if (REPO_ROOT / package / "manage.py").exists():
            found.append((package, [*pytest, package, f"--ds={package}.settings"]))
            found.append(
                (
                    f"{package} (manage.py test)",
                    [sys.executable, f"{package}/manage.py", "test", "--noinput", "-v", "1"],
                )
            )
    if (REPO_ROOT / "alarms_generator" / "tests").exists():
        found.append(("alarms_generator", [*pytest, "alarms_generator"]))
    found.append(("system", [*pytest, "tests"]))
    return found


def count(output: str, word: str) -> int:
    match = re.search(rf"(\d+) {word}", output)
    return int(match.group(1)) if match else 0


def run_suite(name: str, argv: list[str]) -> Outcome:
    print(f"\n=== {name}: {' '.join(argv[1:])}", flush=True)
    started = time.monotonic()
    process = subprocess.run(argv, cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    sys.stdout.write(process.stdout)
    outcome = Outcome(name, code=process.returncode, seconds=time.monotonic() - started)
    if "manage.py" in " ".join(argv):
        outcome.check = True
        ran_match = re.search(r"Ran (\d+) tests?", process.stdout)
        ran = int(ran_match.group(1)) if ran_match else 0
        failures = sum(int(n) for n in re.findall(r"(?:failures|errors)=(\d+)", process.stdout))
        outcome.failed = failures or (1 if process.returncode else 0)
        skipped = re.search(r"skipped=(\d+)", process.stdout)
        outcome.skipped = int(skipped.group(1)) if skipped else 0
        outcome.passed = ran - failures - outcome.skipped
    else:
        outcome.passed = count(process.stdout, "passed")
        outcome.failed = count(process.stdout, "failed") + count(process.stdout, "errors?")
        # An expected failure (a guarantee known to be broken, named by its xfail reason) is
        # neither a pass nor a new failure: it is listed with the skips.
        outcome.skipped = count(process.stdout, "skipped") + count(process.stdout, "xfailed")
        if process.returncode and not outcome.failed:
            outcome.failed = 1  # collection error, crash or no tests at all
    return outcome


def main() -> int:
    outcomes = [run_suite(name, argv) for name, argv in suites()]
    print("\n=== summary")
    for o in outcomes:
        note = "  (check, the same tests: not in the totals)" if o.check else ""
        print(
            f"  {o.name:<34} {o.passed:>4} passed {o.failed:>3} failed {o.skipped:>3} skipped  {o.seconds:6.1f}s{note}"
        )
    counted = [o for o in outcomes if not o.check]
    checks_failed = sum(1 for o in outcomes if o.check and (o.failed or o.code))
    passed = sum(o.passed for o in counted)
    failed = sum(o.failed for o in counted) + checks_failed
    skipped = sum(o.skipped for o in counted)
    print(f"{passed} passed, {failed} failed, {skipped} skipped")
    return 1 if failed or any(o.code for o in outcomes) else 0


if __name__ == "__main__":
    sys.exit(main())
