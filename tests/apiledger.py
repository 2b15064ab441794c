"""What the 2xx answers of the REST fuzz reported, checked against every row of the databases.

A fuzzed site writes one table through its API (buildings, workflows; alarms are acted on)
and, with it, rows elsewhere: each building its outbox request and, through the workflows
service, its workflow, and its deletion an announcement; each workflow an announcement per
version; each alarm action a journal entry, and a building out of service a hold and an
entry on each of its open alarms. The ledger keeps
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
    "alarms_site": ("alarms_alarm", {"acknowledged", "priority", "shelved"}),
}
# Every table some answer accounts for, by site database, when ``package`` is fuzzed.
ACCOUNTED = {
    "buildings_site": {
        "buildings_site": {"buildings_building", "bridge_outboxmessage"},
        "workflows_site": {"workflows_workflow", "bridge_outboxmessage"},
    },
    "workflows_site": {"workflows_site": {"workflows_workflow", "bridge_outboxmessage"}},
    "alarms_site": {"alarms_site": {"alarms_alarm", "alarms_journalentry", "alarms_outofservice"}},
}
# The journal entry each alarm action answered 200 writes, by the path's last segment.
ACTIONS = {"acknowledge", "shelve", "unshelve", "assign", "unassign", "comment"}
OUT_OF_SERVICE = "/api/out-of-service/"
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
        self.acted: Counter[tuple[int, str]] = Counter()  # (alarm id, action) -> actions answered 200
        self.deleted: set[int] = set()  # ids a DELETE answered 204
        self.last_version: dict[int, int] = {}  # workflow id -> the version its last answer showed
        self.holds: set[int] = set()  # buildings out of service, as the answers left them
        self.service_changes: Counter[tuple[int, str]] = Counter()  # (building, out/back) answered
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
        if path.startswith(OUT_OF_SERVICE):
            self._service_changed(method.upper(), path, orjson.loads(content) if content else None)
            return
        if method.upper() == "DELETE":
            object_id = path_id(path)
            assert object_id in self.shown, f"DELETE {path} answered {status}, but no answer reported that row"
            del self.shown[object_id]
            self.deleted.add(object_id)
            return
        action = path.rstrip("/").rsplit("/", 1)[-1]
        self.answered(orjson.loads(content), created=status == 201, action=action if action in ACTIONS else None)

    def answered(self, shown: Any, *, created: bool = False, action: str | None = None) -> None:
        """An object as an answer showed it: just ``created`` (201), acted on, or as it is (seeded, changed)."""
        assert isinstance(shown, dict) and isinstance(shown.get("id"), int), f"an answer showed {shown!r}"
        if created:
            assert shown["id"] not in self.created, f"a 201 reported id {shown['id']} a second time: {shown}"
            self.created[shown["id"]] = shown
        self.shown[shown["id"]] = shown
        if "version" in shown:
            self.last_version[shown["id"]] = shown["version"]
        if action is not None:
            self.acted[(shown["id"], action)] += 1

    def _service_changed(self, method: str, path: str, shown: Any) -> None:
        """A building taken out of service (201) or put back (204): its open alarms say so, each journaled."""
        building_id = shown["building_id"] if method == "POST" else path_id(path)
        out = method == "POST"
        (self.holds.add if out else self.holds.discard)(building_id)
        self.service_changes[(building_id, "out_of_service" if out else "return_to_service")] += 1
        for alarm in self.shown.values():
            if alarm["building_id"] == building_id and alarm["state"] != "closed":
                alarm["out_of_service"] = out

    def summary(self) -> str:
        """How many objects the answers created, left and acted on."""
        return f"{len(self.created)} created, {len(self.shown)} left, {sum(self.acted.values())} actions"

    def problems(self) -> list[str]:
        """How the accounted tables differ from what the answers reported (empty when they agree)."""
        problems = self._compare_shown()
        if self.package == "buildings_site":
            problems += self._compare_outbox() + self._compare_first_workflows() + self._compare_deletions()
            problems += self._compare_first_workflow_announcements()
        if self.package == "workflows_site":
            problems += self._compare_announcements()
        if self.package == "alarms_site":
            problems += self._compare_journal() + self._compare_holds()
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

    def _compare_first_workflow_announcements(self) -> list[str]:
        """In the workflows database: each workflow created for a building announced once, as created (v1)."""
        workflows = self._rows("workflows_site", "workflows_workflow")
        expected = {f"workflow-{workflow_id}-v1": workflow_id for workflow_id in workflows}
        stored = {
            key: row["payload"]["workflowId"]
            for key, row in self._rows("workflows_site", "bridge_outboxmessage", key="key").items()
            if row["subject"] == "workflow.status_changed"
        }
        return _differences("workflows bridge_outboxmessage (workflow.status_changed)", expected, stored)

    def _compare_deletions(self) -> list[str]:
        """One ``building.deleted`` announcement per building a DELETE answered 204 for; no other."""
        expected = {f"building-{building_id}-deleted": building_id for building_id in self.deleted}
        stored = {
            key: row["payload"]["buildingId"]
            for key, row in self._rows(self.package, "bridge_outboxmessage", key="key").items()
            if row["subject"] == "building.deleted"
        }
        return _differences("bridge_outboxmessage (building.deleted)", expected, stored)

    def _compare_announcements(self) -> list[str]:
        """Each workflow's versions announced once each, 1 up to the version its last answer showed; a deleted
        one may have one more (an open workflow is cancelled, announced, before it is deleted)."""
        stored = Counter(
            (row["payload"]["workflowId"], row["payload"]["version"])
            for row in self._rows(self.package, "bridge_outboxmessage").values()
            if row["subject"] == "workflow.status_changed"
        )
        problems = [f"workflow {w} version {v} announced {n} times" for (w, v), n in stored.items() if n != 1]
        for workflow_id, version in self.last_version.items():
            announced = sorted(v for (w, v) in stored if w == workflow_id)
            expected = list(range(1, version + 1))
            if announced != expected and not (workflow_id in self.deleted and announced == [*expected, version + 1]):
                problems.append(f"workflow {workflow_id} announced versions {announced}, answers showed {version}")
        unknown = {w for w, _ in stored} - self.last_version.keys()
        return problems + [f"workflow {w} announced, but no answer reported it" for w in sorted(unknown)]

    def _compare_journal(self) -> list[str]:
        """One entry by the signed-in user per alarm action answered 200, and one per open alarm of a building
        each time it went out of service or came back; no other."""
        entries = self._rows(self.package, "alarms_journalentry").values()
        expected = Counter(self.acted)
        for alarm in self.shown.values():
            for change in ("out_of_service", "return_to_service"):
                expected[(alarm["id"], change)] += self.service_changes[(alarm["building_id"], change)]
        stored = Counter((e["alarm_id"], e["action"]) for e in entries if e["actor"] == TEST_LOGIN.username)
        others = [e for e in entries if e["actor"] != TEST_LOGIN.username]
        problems = [f"alarms_journalentry holds an entry no answer reported: {e}" for e in others]
        return problems + _differences("alarms_journalentry (entries per alarm and action)", +expected, +stored)

    def _compare_holds(self) -> list[str]:
        """The staff holds are the buildings the answers left out of service."""
        stored = {row["building_id"] for row in self._rows(self.package, "alarms_outofservice").values()}
        return _differences("alarms_outofservice", dict.fromkeys(self.holds), dict.fromkeys(stored))


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
