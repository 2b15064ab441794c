"""Hypothesis strategies for hostile NATS messages, each with the outcome the contract promises.

A case is a message (body and headers) plus what must come of it: ``ok`` (a valid reply, or
an event stored), an error status (400, 413), or ``any`` for random bytes whose outcome is
not known in advance (either is fine, as long as it is one of the two and never a crash).
Bodies are made at send time, so fresh event ids never collide between cases.
"""

from __future__ import annotations

import itertools
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st

ROUTE_MAX_PAYLOAD = 64 * 1024  # bridge.routes.DEFAULT_MAX_PAYLOAD, restated: the contract under test
MAX_BIGINT = 2**63 - 1
MAX_INT = 2**31 - 1
OK, ANY = "ok", "any"

# How each NATS fuzz draws its batches: derandomized, so a run is repeatable, and without
# shrinking, which against live processes can take longer than the whole suite. A failure
# shows the full batch, and every assertion names the case that broke it.
FUZZ = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)

# Every subject a process of the system subscribes to, by how it is served: the fuzz of each
# kind takes its subjects from here, and test_nats_fuzz checks them against docs/asyncapi.yaml.
REQUEST_SUBJECTS = {  # and the NestJS pattern of each: what an envelope sent there names
    "workflows.create": "workflows.create",
    '{"cmd":"workflows.create"}': {"cmd": "workflows.create"},
    "workflows.transition": "workflows.transition",
}
DISCOVERY_SUBJECTS = ["$SRV.PING", "$SRV.INFO", "$SRV.STATS"]  # each also .<service> and .<service>.<id>
EVENT_SUBJECTS = ["alarm.created", "alarm.cleared", "building.deleted", "workflow.status_changed", "alarms.open_counts"]
LIVE_SUBJECTS = ["alarms.live.created", "alarms.live.acknowledged", "alarms.live.changed"]  # alarms.live.> is read
_serial = itertools.count(1)


class Fresh:
    """Stands for a new event id, written in one of the spellings a UUID may have."""

    def __init__(self, spelling: str) -> None:
        self.spelling = spelling

    def make(self) -> tuple[str, uuid.UUID]:
        value = uuid.uuid4()
        text = {"hex": value.hex, "upper": str(value).upper(), "urn": value.urn, "braces": f"{{{value}}}"}
        return text.get(self.spelling, str(value)), value


@dataclass
class Case:
    """One message to send and what must come of it."""

    kind: str
    data: Any = None  # a JSON-able object (may hold ``Fresh`` ids), or None when ``raw`` is given
    raw: bytes | None = None
    expect: str | int = OK  # OK, ANY, or the error status
    nest: bool = False  # set by ``body()``: whether the message is a NestJS envelope
    nest_id: Any = None  # and its id
    key: str | None = "none"  # Idempotency-Key: "none", "fresh", or a literal (bad) value
    ascii_only: bool = True
    event_id: uuid.UUID | None = None  # filled in by ``body()`` when the payload carries a fresh id

    def body(self) -> bytes:
        """The bytes on the wire (fresh ids drawn now); notes whether they make a NestJS envelope."""
        if self.raw is None:
            text = json.dumps(_resolve(self.data, self), ensure_ascii=self.ascii_only)
            raw = text.encode("utf-8", "surrogatepass")
        else:
            raw = self.raw
        self.nest, self.nest_id = _envelope(raw)
        return raw

    def headers(self) -> dict[str, str]:
        if self.key == "none":
            return {}
        if self.key == "fresh":
            return {"Idempotency-Key": f"fuzz-{next(_serial)}-{uuid.uuid4().hex[:8]}"}
        return {"Idempotency-Key": self.key}


def _envelope(raw: bytes) -> tuple[bool, Any]:
    """Whether a body is answered as a NestJS envelope (it parses, within the size limit, to an
    object with ``pattern`` and ``data``), and the envelope's id."""
    if len(raw) > ROUTE_MAX_PAYLOAD:
        return False, None
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return False, None
    if isinstance(body, dict) and "pattern" in body and "data" in body:
        return True, body.get("id")
    return False, None


def _resolve(value: Any, case: Case) -> Any:
    if isinstance(value, Fresh):
        text, parsed = value.make()
        case.event_id = parsed
        return text
    if isinstance(value, dict):
        return {k: _resolve(v, case) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve(v, case) for v in value]
    return value


# Values

UNICODE_NAMES = [
    "שלום עולם",  # right to left
    "\u202eevil\u202c order",  # explicit direction overrides
    "🏢🔥" * 100,  # 200 code points, 800 bytes
    "e\u0301" * 100,  # combining marks
    "\u200b",  # zero width space: not whitespace, a name
    "\U0001d518\U0001d52b\U0001d526 \U0010ffff \ufffe",  # astral planes, non-characters
    "'; DROP TABLE workflows_workflow; --",
    "<script>alert(1)</script>",
    "%s %d {0} \\ \x01\x1f",
    "\ufeffbom",
]
_no_nul_or_surrogate = st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00")
_any_names = st.text(alphabet=_no_nul_or_surrogate, min_size=1, max_size=200) | st.sampled_from(UNICODE_NAMES)
valid_names = _any_names.filter(lambda s: 0 < len(s.strip()) <= 200)
json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
wrong_types_for_text = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    st.lists(st.text(max_size=3), max_size=2),
    st.dictionaries(st.text(max_size=3), st.text(max_size=3), max_size=2),
)
invalid_names = st.one_of(
    valid_names.flatmap(lambda s: st.integers(0, len(s)).map(lambda i: s[:i] + "\x00" + s[i:])),  # NUL
    valid_names.flatmap(lambda s: st.integers(0, len(s)).map(lambda i: s[:i] + "\ud800" + s[i:])),  # lone surrogate
    st.integers(201, 10_000).map(lambda n: "n" * n),
    st.sampled_from(["🏢" * 201, "x" * 10_000, "שׁ" * 5_000]),
    st.sampled_from(["", " ", "\t\n", "\u3000", "\xa0 \u2003"]),  # blank once trimmed
    wrong_types_for_text,
)
wrong_integers = st.one_of(
    st.sampled_from([0, -1, -(2**63), 2**63, 2**64, 10**30, 1.0, 1.5, "1", True, False, None, [], {}]),
    st.integers(max_value=0),
    st.floats(allow_nan=False),
    st.text(max_size=5),
)


def building_ids(maximum: int) -> st.SearchStrategy:
    return st.integers(1, maximum) | st.sampled_from([1, maximum])


def wrong_building_ids(maximum: int) -> st.SearchStrategy:
    return wrong_integers | st.integers(maximum + 1, 2**63 + 10)


# Messages


@dataclass(frozen=True)
class Field:
    """One field of a subject's payload: what is valid, what is not, and whether it may be left out."""

    name: str
    valid: st.SearchStrategy
    invalid: st.SearchStrategy
    required: bool = True


def objects(fields: list[Field]) -> st.SearchStrategy:
    """(payload, expect): every field valid (optional ones sometimes left out, extras added),
    or exactly one field wrong or missing."""

    @st.composite
    def build(draw) -> tuple[dict, str | int]:
        payload = {}
        for spec in fields:
            if spec.required or draw(st.booleans()):
                payload[spec.name] = draw(spec.valid)
        expect: str | int = OK
        if draw(st.booleans()):  # one in two gets one bad field
            spec = draw(st.sampled_from(fields))
            if spec.required and draw(st.integers(0, 4)) == 0:
                payload.pop(spec.name, None)
            else:
                payload[spec.name] = draw(spec.invalid)
            expect = 400
        extras = draw(st.dictionaries(st.text(max_size=6).map(lambda k: f"x_{k}"), json_values, max_size=2))
        return {**payload, **extras}, expect

    return build()


# Valid-looking objects most often: they are where a bad field hides among good ones.
KINDS = ["object"] * 5 + ["envelope"] * 2 + ["bad-envelope", "not-an-object", "bytes", "json", "bad-json"]
KINDS += ["oversized", "boundary"]


@st.composite
def cases(draw, payloads: st.SearchStrategy, pattern: Any, *, keys: bool) -> Case:
    """Any hostile message whose objects are drawn from ``payloads`` ((payload, expect), as ``objects``
    makes them), NestJS envelopes naming ``pattern``; with Idempotency-Key headers, good and bad, if ``keys``."""
    kind = draw(st.sampled_from(KINDS))
    key = draw(st.sampled_from(["none", "none", "fresh"]))
    ascii_only = draw(st.booleans())
    if kind == "object":
        data, expect = draw(payloads)
        case = Case(kind, data, expect=expect, ascii_only=ascii_only)
    elif kind == "envelope":
        data, expect = draw(payloads)
        nest_id = draw(st.uuids().map(str) | json_values)
        case = Case(
            kind,
            {"pattern": pattern, "data": data, "id": nest_id},
            expect=expect,
            ascii_only=ascii_only,
        )
    elif kind == "bad-envelope":
        inner, _ = draw(payloads)
        data = draw(
            st.sampled_from(
                [
                    {
                        "pattern": pattern,
                        "data": {"pattern": pattern, "data": inner},
                        "id": "nested",
                    },  # envelope in envelope
                    {"pattern": 42, "data": [inner], "id": {"x": 1}},
                    {"pattern": None, "data": None},
                    {"pattern": pattern, "data": "text", "id": []},
                    # no data: "no-data" after the payload, so a payload's own id never makes it valid
                    {"pattern": pattern, **{k: v for k, v in inner.items() if k != "name"}, "id": "no-data"},
                ]
            )
        )
        case = Case(kind, data, expect=400, ascii_only=ascii_only)
    elif kind == "not-an-object":
        case = Case(kind, draw(st.one_of(json_scalars, st.lists(json_values, max_size=3))), expect=400)
    elif kind == "bytes":
        case = Case(kind, raw=draw(st.binary(max_size=300)), expect=ANY)
    elif kind == "json":
        case = Case(kind, draw(st.dictionaries(st.text(max_size=10), json_values, max_size=4)), expect=ANY)
    elif kind == "bad-json":
        raw = draw(
            st.sampled_from(
                [
                    b'{"name": "a\\ud800", "buildingId": 1}',  # escaped lone surrogate
                    b'{"name": "a\xed\xa0\x80", "buildingId": 1}',  # UTF-8 encoded surrogate
                    b'{"name": "\xff\xfe", "buildingId": 1}',
                    b'{"name": "x", "buildingId": 1',
                    b'{"name": NaN, "buildingId": Infinity}',
                    b'{"name": "x", "buildingId": 1e400}',
                    b"[" * 5000 + b"]" * 5000,
                    b'{"a":' * 2000 + b"1" + b"}" * 2000,
                    b"",
                    b"\x00" * 64,
                ]
            )
        )
        case = Case(kind, raw=raw, expect=400)
    elif kind == "oversized":
        size = draw(st.integers(ROUTE_MAX_PAYLOAD + 1, 4 * ROUTE_MAX_PAYLOAD))
        filler = draw(st.sampled_from([b"x", b"\xff", b"\x00", "🏢".encode()]))
        raw = b'{"name": "' + (filler * size)[:size] + b'", "buildingId": 1}'
        case = Case(kind, raw=raw, expect=413)
    else:  # boundary: exactly at the limit is parsed (and refused for its long name)
        raw = b'{"name": "' + b"y" * (ROUTE_MAX_PAYLOAD - 30) + b'", "buildingId": 1}'
        raw += b" " * (ROUTE_MAX_PAYLOAD - len(raw))
        case = Case(kind, raw=raw, expect=400)
    case.key = key if keys else "none"
    if keys and draw(st.integers(0, 9)) == 0:  # a bad Idempotency-Key refuses any message that is not too large
        case.key = draw(st.sampled_from(["k\x00ey", "k" * 201, "ключ", "tab\there", "\x7f", "k" * 10_000]))
        if case.expect != 413:
            case.expect = 400
    return case


WORKFLOW_FIELDS = [
    Field("name", valid_names, invalid_names),
    Field("buildingId", building_ids(MAX_BIGINT), wrong_building_ids(MAX_BIGINT)),
]

_uuid_spellings = st.sampled_from(["plain", "hex", "upper", "urn", "braces"]).map(Fresh)
_after_2000 = st.datetimes(min_value=datetime(2000, 1, 2), max_value=datetime(9000, 1, 1), timezones=st.just(UTC))
ALARM_FIELDS = [
    Field(
        "id",
        _uuid_spellings,
        st.sampled_from(["not-a-uuid", 123, True, [], {}, "0" * 33, "g" * 32, "\x00"]),
        required=False,
    ),
    Field("name", valid_names, invalid_names),
    Field("buildingId", building_ids(MAX_INT), wrong_building_ids(MAX_INT)),
    Field(
        "severity",
        st.sampled_from(["critical", "major", "minor", "warning", "info"]),
        st.sampled_from(["", "CRITICAL", "apocalyptic", None, 1, ["major"]]),
        required=False,
    ),
    Field(
        "occurredAt",
        _after_2000.map(lambda d: d.isoformat()),
        st.sampled_from(
            [
                "1999-12-31T23:59:59Z",
                "0001-01-01T00:00:00+14:00",
                "9999-12-31T23:59:59-14:00",
                "last tuesday",
                "2024-02-30T00:00:00Z",
                "",
                None,
                1700000000,
                "\x00",
            ]
        ),
        required=False,
    ),
]


def workflow_cases(subject: str) -> st.SearchStrategy:
    return cases(objects(WORKFLOW_FIELDS), REQUEST_SUBJECTS[subject], keys=True)


WORKFLOW_STATUSES = ["new", "active", "completed", "cancelled"]


@st.composite
def transition_payloads(draw, known: list[int]) -> tuple[dict, str | int]:
    """(payload, expect) for ``workflows.transition``: a valid request for one of the ``known``
    workflows may be granted or refused by the rules (``any``), one for an unknown workflow is 404."""
    fields = [
        Field("id", st.sampled_from(known), wrong_building_ids(MAX_BIGINT)),
        Field("status", st.sampled_from(WORKFLOW_STATUSES), st.sampled_from(["", "ACTIVE", "done", None, 1, ["new"]])),
    ]
    payload, expect = draw(objects(fields))
    if expect == OK and draw(st.integers(0, 3)) == 0:
        payload["id"] = draw(st.integers(max(known) + 1, MAX_BIGINT))
        return payload, 404
    return payload, ANY if expect == OK else expect


def transition_cases(known: list[int]) -> st.SearchStrategy:
    return cases(transition_payloads(known), REQUEST_SUBJECTS["workflows.transition"], keys=False)


def alarm_cases() -> st.SearchStrategy:
    return cases(objects(ALARM_FIELDS), "alarm.created", keys=False)


def payload_of(case: Case) -> dict | None:
    """The object the service must act on (the envelope's data), when the case is valid."""
    if case.expect != OK or not isinstance(case.data, dict):
        return None
    return case.data["data"] if case.nest else case.data
