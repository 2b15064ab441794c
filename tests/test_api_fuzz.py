"""Every REST operation of every site, fuzzed from its own OpenAPI schema against the real web process.

Schemathesis reads ``/api/schema/`` of a running site (gunicorn or daphne, real PostgreSQL; the
buildings site with a workflows bridge, so creations complete) and sends, for each operation,
the schema's boundary cases and Hypothesis-generated requests, valid and invalid, signed in
with the test account's token. Every check schemathesis has must pass: no 5xx, a status code
the schema lists, the content type it names and a body that matches its response schema, and
the API as strict as the schema (a request the schema forbids is refused, one it allows is
accepted).

``FUZZ_EXAMPLES`` (default 75) bounds the generated requests per operation and mode; raise it
for a deeper run (``FUZZ_EXAMPLES=500 python -m pytest tests/test_api_fuzz.py``).
"""

from __future__ import annotations

import os
import uuid
from collections import Counter
from collections.abc import Iterator

import pytest
import schemathesis

from stack.accounts import TEST_LOGIN
from stack.system import System
from tests.conftest import query, site
from tests.httpclient import post_json

pytestmark = pytest.mark.system

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "75"))
SEEDED_ROWS = 5


def seed(system: System, package: str) -> None:
    """A few rows with small ids, so generated ids sometimes hit a real object (200s, not only 404s)."""
    s = site(package)
    for n in range(1, SEEDED_ROWS + 1):
        if package == "buildings_site":
            assert post_json(system.url(s, "/api/buildings/"), {"name": f"Seeded {n}"})[0] == 201
        elif package == "workflows_site":
            assert post_json(system.url(s, "/api/workflows/"), {"name": f"Seeded {n}", "building_id": n})[0] == 201
        else:
            query(
                system,
                package,
                "INSERT INTO alarms_alarm (event_id, name, building_id, severity, occurred_at, received_at,"
                " acknowledged_by) VALUES (%s, %s, %s, 'major', now(), now(), '') RETURNING id",
                (uuid.uuid4(), f"Seeded {n}", n),
            )


@pytest.fixture
def sent() -> Counter:
    """Requests sent to the site under test."""
    return Counter()


@pytest.fixture(params=["buildings_site", "workflows_site", "alarms_site"])
def api_schema(
    request: pytest.FixtureRequest, system: System, sent: Counter, capsys: pytest.CaptureFixture
) -> Iterator[schemathesis.BaseSchema]:
    """The OpenAPI schema of one running site, as the site itself serves it."""
    package = request.param
    s = site(package)
    if package == "buildings_site":
        system.start_bridge(site("workflows_site")).wait_ready()  # so creations get their workflow
    system.start_web(s).wait_ready()
    seed(system, package)
    schema = schemathesis.openapi.from_url(system.url(s, "/api/schema/"), timeout=10)
    # Derandomized and without an example database, so every run sends the same requests and CI
    # stays stable (raise FUZZ_EXAMPLES to explore further); no shrinking, whose extra requests
    # against a live server are unbounded: a failure prints its request as a curl command.
    schema.config.generation.update(max_examples=EXAMPLES, deterministic=True, database="none", no_shrink=True)
    schema.config.update(base_url=system.url(s, ""))
    yield schema
    with capsys.disabled():
        print(f"\n{package}: {sent['requests']} fuzzed requests ({EXAMPLES} examples per operation and mode)")


lazy_schema = schemathesis.pytest.from_fixture("api_schema")


@lazy_schema.parametrize()
def test_it_answers_every_generated_request_as_its_schema_documents(case: schemathesis.Case, sent: Counter) -> None:
    case.call_and_validate(headers=TEST_LOGIN.headers, timeout=30)  # every check
    sent["requests"] += 1
