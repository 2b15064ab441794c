"""What the 2xx answers of the REST fuzz reported, checked against every row of the databases.

A fuzzed site writes one table through its API (buildings, workflows; alarms are only
acknowledged) and, with it, rows elsewhere: each building its outbox request and, through
the workflows service, its workflow; each acknowledgement a journal entry. The ledger keeps
what the answers reported so far; ``problems`` compares it with those tables both ways (each
row is one an answer reported, with the fields it reported, and each reported object is
there once; a deleted one is gone), and ``changed_elsewhere`` tells whether any other table
of any site's database changed at all: a refused request must leave nothing anywhere.
"""

from __future__ import annotations

import urllib.parse
import uuid
from collections import Counter
from datetime import datetime
from typing import Any

import orjson
import psycopg
from psycopg import sql
from psycopg.rows import dict_row

from stack.accounts import TEST_LOGIN

WRITES = {"POST", "PUT", "PATCH", "DELETE"}
# The table each site's API writes, and the fields it shows that are no column of it.
WRITTEN = {
    "buildings_site": ("buildings_building", set()),
    "workflows_site": ("workflows_workflow", set()),
    "alarms_site": ("alarms_alarm", {"acknowledged"}),
}
# Every table some answer accounts for, by site database, when ``package`` is fuzzed.
ACCOUNTED = {
    "buildings_site": {
        "buildings_site": {"buildings_building", "bridge_outboxmessage"},
        "workflows_site": {"workflows_workflow"},
    },
    "workflows_site": {"workflows_site": {"workflows_workflow"}},
    "alarms_site": {"alarms_site": {"alarms_alarm", "alarms_journalentry"}},
}
# buildings_site.buildings.services: the first workflow a building asks for.
FIRST_WORKFLOW_NAME = "New Workflow"
OUTBOX_STATE = {"created": "delivered", "pending": "pending", "failed": "failed"}


def first_workflow_key(building_id: int) -> str:
    return f"building-{building_id}-first-workflow"


class ApiLedger:
    """The objects one site's 2xx answers reported, against that site's database and its peers'."""

    def __init__(self, package: str, database_urls: dict[str, str]) -> None:
        self.package = package
        self.table, self.derived = WRITTEN[package]
        self.shown: dict[int, dict[str, Any]] = {}  # each object as the last answer showed it
        self.created: dict[int, dict[str, Any]] = {}  # each object as its 201 showed it
        self.acknowledged: Counter[int] = Counter()  # alarm id -> acknowledgements answered 200
        self.connections = {
            name: psycopg.connect(url, autocommit=True, row_factory=dict_row) for name, url in database_urls.items()
        }
        self.fingerprints_before: dict[str, str] = {}

    def close(self) -> None:
        for connection in self.connections.values():
            connection.close()

    def begin(self) -> None:
        """Take the fingerprints of the tables the fuzz must leave as they are (after seeding)."""
        self.fingerprints_before = self.fingerprints()

    def record(self, method: str, url: str, status: int, content: bytes) -> None:
        """Note what one answer reported: only a 2xx answer to a write reports a change."""
        if not 200 <= status < 300 or method.upper() not in WRITES:
            return
        path = urllib.parse.urlsplit(url).path
        if method.upper() == "DELETE":
            object_id = path_id(path)
            assert object_id in self.shown, f"DELETE {path} answered {status}, but no answer reported that row"
            del self.shown[object_id]
            return
        self.answered(orjson.loads(content), created=status == 201, acknowledgement=path.endswith("/acknowledge/"))

    def answered(self, shown: Any, *, created: bool = False, acknowledgement: bool = False) -> None:
        """An object as an answer showed it: just ``created`` (201), acknowledged, or as it is (seeded, changed)."""
        assert isinstance(shown, dict) and isinstance(shown.get("id"), int), f"an answer showed {shown!r}"
        if created:
            assert shown["id"] not in self.created, f"a 201 reported id {shown['id']} a second time: {shown}"
            self.created[shown["id"]] = shown
        self.shown[shown["id"]] = shown
        if acknowledgement:
            self.acknowledged[shown["id"]] += 1

    def summary(self) -> str:
        """How many objects the answers created, left and acknowledged."""
        acknowledged = sum(self.acknowledged.values())
        return f"{len(self.created)} created, {len(self.shown)} left, {acknowledged} acknowledgements"

    def problems(self) -> list[str]:
        """How the accounted tables differ from what the answers reported (empty when they agree)."""
        problems = self._compare_shown()
        if self.package == "buildings_site":
            problems += self._compare_outbox() + self._compare_first_workflows()
        if self.package == "alarms_site":
            problems += self._compare_journal()
        return problems

    def changed_elsewhere(self) -> list[str]:
        """The tables no answer accounts for that changed since the ledger was opened (``site.table``)."""
        now = self.fingerprints()
        return sorted(table for table, digest in now.items() if digest != self.fingerprints_before.get(table))

    def fingerprints(self) -> dict[str, str]:
        """An md5 of the rows of each table no answer accounts for, in every site's database, by ``site.table``."""
        found = {}
        for name, connection in self.connections.items():
            accounted = ACCOUNTED[self.package].get(name, set())
            tables = [
                row["table_name"]
                for row in connection.execute(
                    "SELECT table_name FROM information_schema.tables"
                    " WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name"
                )
                if row["table_name"] not in accounted
            ]
            digest = sql.SQL(" UNION ALL ").join(
                sql.SQL(
                    "SELECT {name} AS t, (SELECT md5(coalesce(string_agg(r::text, ',' ORDER BY r::text), ''))"
                    " FROM {table} r) AS md5"
                ).format(name=sql.Literal(f"{name}.{table}"), table=sql.Identifier(table))
                for table in tables
            )
            found.update((row["t"], row["md5"]) for row in connection.execute(digest))
        return found

    def _rows(self, package: str, table: str, key: str = "id") -> dict[Any, dict[str, Any]]:
        statement = sql.SQL("SELECT * FROM {}").format(sql.Identifier(table))
        return {row[key]: row for row in self.connections[package].execute(statement)}

    def _compare_shown(self) -> list[str]:
        stored = self._rows(self.package, self.table)
        problems = [f"{self.table} row {i} no answer reported: {stored[i]}" for i in stored.keys() - self.shown.keys()]
        problems += [f"{self.table} lacks row {i}, reported {self.shown[i]}" for i in self.shown.keys() - stored.keys()]
        for object_id in self.shown.keys() & stored.keys():
            shown, row = self.shown[object_id], stored[object_id]
            unknown = set(shown) - set(row) - self.derived
            assert unknown == set(), f"{self.table}: the API shows fields that are no column: {unknown}"
            differ = {n: (value, row[n]) for n, value in shown.items() if n in row and not same(row[n], value)}
            if differ:
                problems.append(f"{self.table} row {object_id} is not as answered, (answered, stored): {differ}")
        return problems

    def _compare_outbox(self) -> list[str]:
        """One request per building answered 201, in the state that answer showed; gone only with a
        building deleted before its request was delivered (``building_delete``)."""
        expected = {
            first_workflow_key(building_id): (
                {"name": FIRST_WORKFLOW_NAME, "buildingId": building_id},
                OUTBOX_STATE[shown["workflow_status"]],
            )
            for building_id, shown in self.created.items()
            if shown["workflow_status"] == "created" or building_id in self.shown
        }
        stored = {
            key: (row["payload"], outbox_state(row))
            for key, row in self._rows(self.package, "bridge_outboxmessage", key="key").items()
            if row["subject"] == "workflows.create"
        }
        return _differences("bridge_outboxmessage", expected, stored)

    def _compare_first_workflows(self) -> list[str]:
        """In the workflows database: the workflow each 201 named, and none other. A building answered
        ``pending`` may have its one workflow too (the reply came after the web stopped waiting)."""
        expected = {
            shown["workflow_id"]: (building_id, FIRST_WORKFLOW_NAME, first_workflow_key(building_id))
            for building_id, shown in self.created.items()
            if shown["workflow_id"] is not None
        }
        late = {first_workflow_key(b) for b, shown in self.created.items() if shown["workflow_status"] == "pending"}
        stored = {
            workflow_id: (row["building_id"], row["name"], row["idempotency_key"])
            for workflow_id, row in self._rows("workflows_site", "workflows_workflow").items()
            if workflow_id in expected or row["idempotency_key"] not in late
        }
        return _differences("workflows_workflow", expected, stored)

    def _compare_journal(self) -> list[str]:
        """One ``acknowledge`` entry by the signed-in user per acknowledgement answered 200; no other."""
        entries = self._rows(self.package, "alarms_journalentry").values()
        acknowledgement = ("acknowledge", TEST_LOGIN.username)
        stored = Counter(e["alarm_id"] for e in entries if (e["action"], e["actor"]) == acknowledgement)
        others = [e for e in entries if (e["action"], e["actor"]) != acknowledgement]
        problems = [f"alarms_journalentry holds an entry no answer reported: {e}" for e in others]
        return problems + _differences("alarms_journalentry (entries per alarm)", dict(self.acknowledged), dict(stored))


def _differences(table: str, expected: dict[Any, Any], stored: dict[Any, Any]) -> list[str]:
    problems = [f"{table}: {k} no answer reported: {stored[k]}" for k in stored.keys() - expected.keys()]
    problems += [f"{table}: lacks {k}, expected {expected[k]}" for k in expected.keys() - stored.keys()]
    problems += [
        f"{table}: {k} is {stored[k]}, expected {expected[k]}"
        for k in expected.keys() & stored.keys()
        if stored[k] != expected[k]
    ]
    return problems


def outbox_state(row: dict[str, Any]) -> str:
    if row["delivered_at"] is not None:
        return "delivered"
    return "failed" if row["failed_at"] is not None else "pending"


def path_id(path: str) -> int:
    """The id a detail path names (``/api/buildings/12/`` -> 12)."""
    segment = path.rstrip("/").rsplit("/", 1)[-1]
    assert segment.isdigit(), f"a 2xx answer to a write of {path}, which names no plain id"
    return int(segment)


def same(stored: Any, shown: Any) -> bool:
    """Whether a column's value is the one an answer showed (datetimes and UUIDs as JSON shows them)."""
    if isinstance(stored, datetime):
        return isinstance(shown, str) and datetime.fromisoformat(shown) == stored
    if isinstance(stored, uuid.UUID):
        return shown == str(stored)
    return stored == shown
