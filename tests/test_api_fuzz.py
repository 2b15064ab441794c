"""Every REST operation of every site, fuzzed from its own OpenAPI schema against the real web process.

Schemathesis reads ``/api/schema/`` of a running site (gunicorn or daphne, real PostgreSQL; the
buildings site with a workflows bridge, so creations complete) and sends, for each operation,
the schema's boundary cases and Hypothesis-generated requests, valid and invalid, signed in
with the test account's token. Every check schemathesis has must pass: no 5xx, a status code
the schema lists, the content type it names and a body that matches its response schema, and
the API as strict as the schema (a request the schema forbids is refused, one it allows is
accepted).

After every request the databases hold exactly what the 2xx answers so far reported
(``tests.apiledger``): every row of the written tables is an object an answer showed, with
the fields it showed, every object a 201 reported is there once, a deleted one is gone, and no
other table of any site changed. After each site's fuzz, every process still runs and none
logged a traceback or anything at ERROR or above.

``FUZZ_EXAMPLES`` (default 75) bounds the generated requests per operation and mode; raise it
for a deeper run (``FUZZ_EXAMPLES=500 python -m pytest tests/test_api_fuzz.py``).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import schemathesis

from stack.accounts import TEST_LOGIN
from stack.system import System
from tests.apiledger import ApiLedger
from tests.conftest import query, site
from tests.httpclient import get_json, post_json
from tests.proclogs import assert_no_crash

pytestmark = [pytest.mark.system, pytest.mark.usefixtures("json_logs")]

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "75"))
SEEDED_ROWS = 5


@dataclass
class FuzzRun:
    """The site under test's ledger, and how many requests were sent to it."""

    ledger: ApiLedger | None = None
    requests: int = 0
    # The first request after which the databases no longer held what the answers reported:
    # every later request fails too (Hypothesis replays a failing one last), this one is the culprit.
    diverged_at: str | None = None


def seed(system: System, package: str, ledger: ApiLedger) -> None:
    """A few rows with small ids, so generated ids sometimes hit a real object (200s, not only 404s)."""
    s = site(package)
    for n in range(1, SEEDED_ROWS + 1):
        if package == "buildings_site":
            url, payload = system.url(s, "/api/buildings/"), {"name": f"Seeded {n}"}
        elif package == "workflows_site":
            url, payload = system.url(s, "/api/workflows/"), {"name": f"Seeded {n}", "building_id": n}
        else:
            [(alarm_id,)] = query(
                system,
                package,
                "INSERT INTO alarms_alarm (event_id, name, building_id, severity, occurred_at, received_at,"
                " acknowledged_by) VALUES (%s, %s, %s, 'major', now(), now(), '') RETURNING id",
                (uuid.uuid4(), f"Seeded {n}", n),
            )
            status, shown = get_json(system.url(s, f"/api/alarms/{alarm_id}/"))
            assert status == 200
            ledger.answered(shown)
            continue
        status, shown = post_json(url, payload)
        assert status == 201
        ledger.answered(shown, created=True)


@pytest.fixture
def run() -> FuzzRun:
    return FuzzRun()


@pytest.fixture(params=["buildings_site", "workflows_site", "alarms_site"])
def api_schema(
    request: pytest.FixtureRequest, system: System, run: FuzzRun, capsys: pytest.CaptureFixture
) -> Iterator[schemathesis.BaseSchema]:
    """The OpenAPI schema of one running site, as the site itself serves it."""
    package = request.param
    s = site(package)
    if package == "buildings_site":
        system.start_bridge(site("workflows_site")).wait_ready()  # so creations get their workflow
    system.start_web(s).wait_ready()
    run.ledger = ApiLedger(package, system.database_urls)
    seed(system, package, run.ledger)
    assert run.ledger.problems() == []
    run.ledger.begin()
    schema = schemathesis.openapi.from_url(system.url(s, "/api/schema/"), timeout=10)
    # Derandomized and without an example database, so every run sends the same requests and CI
    # stays stable (raise FUZZ_EXAMPLES to explore further); no shrinking, whose extra requests
    # against a live server are unbounded: a failure prints its request as a curl command.
    schema.config.generation.update(max_examples=EXAMPLES, deterministic=True, database="none", no_shrink=True)
    schema.config.update(base_url=system.url(s, ""))
    yield schema
    with capsys.disabled():
        print(f"\n{package}: {run.requests} fuzzed requests ({EXAMPLES} examples per operation and mode); "
              f"answered: {run.ledger.summary()}")  # fmt: skip
    # Checked here, once every operation was fuzzed, and before the processes are stopped.
    try:
        changed = run.ledger.changed_elsewhere()
    finally:
        run.ledger.close()
    assert changed == [], f"tables no answer accounts for changed during the fuzz: {changed}"
    assert_no_crash(system)


lazy_schema = schemathesis.pytest.from_fixture("api_schema")


@lazy_schema.parametrize()
def test_it_answers_every_generated_request_as_its_schema_documents_and_stores_only_what_it_answered(
    case: schemathesis.Case, run: FuzzRun
) -> None:
    headers, timeout = TEST_LOGIN.headers, 30
    response = case.call(headers=headers, timeout=timeout)
    run.requests += 1
    # Recorded before the checks, so an answer that fails one still counts for the next requests.
    run.ledger.record(case.method, response.request.url, response.status_code, response.content)
    case.validate_response(response, headers=headers, transport_kwargs={"headers": headers, "timeout": timeout})
    problems = run.ledger.problems()
    if problems and run.diverged_at is None:
        run.diverged_at = f"{case.method} {response.request.url} answered {response.status_code}"
    assert problems == [], f"the databases differ from the answers since {run.diverged_at}"
