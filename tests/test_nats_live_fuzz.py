"""Hostile messages on the live subjects every alarms web process follows, against real daphne.

Each alarms web process subscribes to ``alarms.live.>`` and turns what arrives into frames for
its open pages. Hypothesis draws batches of hostile messages for those subjects (and for others
under ``alarms.live.``): the bodies the other NATS fuzzes send (random bytes, invalid UTF-8,
huge bodies, wrong types, NUL, bad envelopes), and live-shaped ones whose ``alarms`` are not a
list, or hold junk, or an alarm larger than a whole frame may be. After each batch a real alarm
goes through the pipeline, and the page's socket, open since before the fuzz, must get it:
the web process kept forwarding and never closed the socket. Every frame the page got is one
a page knows, no row came from a live message, and no process logged a traceback or an error.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections import Counter
from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st
from websockets.exceptions import ConnectionClosed

from stack.infra import wait_for
from stack.system import System
from tests.conftest import query
from tests.fuzzcases import ALARM_FIELDS, FUZZ, LIVE_SUBJECTS, cases, json_values, objects
from tests.helpers import Message, alarm, publish
from tests.livefeed import ALARMS, TIMEOUT, Feed, resume
from tests.proclogs import assert_no_crash

pytestmark = [pytest.mark.system, pytest.mark.usefixtures("json_logs")]

SUBJECTS = [*LIVE_SUBJECTS, "alarms.live.unknown", "alarms.live.created.deeper"]
FRAME_TYPES = {"catchup", "created", "acknowledged", "changed"}  # alarms_site/alarms/consumers.py
COUNTS = "counts"  # the header's true counts (alarms_site/alarms/livecounts.py), no alarms in it
_shown_alarm = st.fixed_dictionaries(
    {"id": st.integers(-(2**70), 2**70) | st.text(max_size=5), "name": st.text(max_size=30)},
    optional={"state": json_values, "acknowledged": json_values},
)
live_items = st.one_of(
    json_values,
    _shown_alarm,
    st.integers(64 * 1024, 200 * 1024).map(lambda n: {"id": 1, "name": "x" * n}),  # over a frame by itself
)
live_bodies = st.one_of(
    cases(objects(ALARM_FIELDS), "alarms.live.created", keys=False).map(lambda case: case.body()),
    st.fixed_dictionaries({"alarms": st.lists(live_items, max_size=5)}, optional={"extra": json_values}).map(
        lambda body: json.dumps(body).encode()  # the json module writes integers past 64 bits, too
    ),
    json_values.map(lambda value: json.dumps({"alarms": value}).encode()),
)


class Page:
    """A live page's socket, read by a thread of its own from before the fuzz until ``close``."""

    def __init__(self, system: System) -> None:
        self.feed = Feed(system)
        self.frames: list[Any] = []
        self.closed: int | None = None  # the close code, once the server closed it
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Future | None = None
        self._thread = threading.Thread(target=lambda: asyncio.run(self._read()), daemon=True, name="live page")

    def __enter__(self) -> Page:
        self._thread.start()
        assert self._ready.wait(TIMEOUT), "the live page did not connect"
        return self

    def __exit__(self, *exc: object) -> None:
        if self._thread.is_alive():  # else the socket was closed under it, and its loop is gone
            self._loop.call_soon_threadsafe(self._stop.set_result, None)
        self._thread.join(TIMEOUT)

    def names(self, frame_type: str) -> set[str]:
        """The names of the alarms in the frames of ``frame_type`` so far."""
        frames = [frame for frame in self.frames if frame.get("type") == frame_type]
        return {shown.get("name") for frame in frames for shown in frame["alarms"] if isinstance(shown, dict)}

    async def _read(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = self._loop.create_future()
        ws = await self.feed.open()
        self.frames.append(await resume(ws))
        self._ready.set()
        reading = asyncio.ensure_future(self._frames(ws))
        await asyncio.wait([reading, self._stop], return_when=asyncio.FIRST_COMPLETED)
        reading.cancel()
        await ws.close()

    async def _frames(self, ws) -> None:
        try:
            async for text in ws:
                self.frames.append(orjson.loads(text))
        except ConnectionClosed:
            pass
        self.closed = ws.close_code


def test_a_page_keeps_getting_alarms_while_hostile_live_messages_arrive(system):
    web = system.start_web(ALARMS)
    system.start_bridge(ALARMS).wait_ready()
    web.wait_ready()
    kinds: Counter = Counter()
    real: list[str] = []

    with Page(system) as page:

        @FUZZ
        @given(st.lists(st.tuples(st.sampled_from(SUBJECTS), live_bodies), min_size=5, max_size=20))
        def hostile_batch(messages: list[tuple[str, bytes]]) -> None:
            kinds.update(subject for subject, _ in messages)
            publish(system.nats_url, [Message(body, core=True, subject=subject) for subject, body in messages])
            marker = alarm()  # through the pipeline: stored, then pushed on alarms.live.created
            real.append(marker["name"])
            publish(system.nats_url, [Message(orjson.dumps(marker), msg_id=marker["id"])])
            wait_for(lambda: marker["name"] in page.names("created") or page.closed, timeout=TIMEOUT,
                     what=f"{marker['name']} on the page")  # fmt: skip
            assert page.closed is None, f"the web process closed the page's socket ({page.closed})"

        hostile_batch()
        frames = list(page.frames)

    print(f"\nlive fuzz: {sum(kinds.values())} messages, {len(frames)} frames on the page, {dict(kinds)}")
    shapes = Counter((f.get("type"), isinstance(f.get("alarms"), list)) for f in frames)
    assert set(shapes) <= {(kind, True) for kind in FRAME_TYPES} | {(COUNTS, False)}, shapes
    counts = [f for f in frames if f.get("type") == COUNTS]
    assert all(isinstance(f.get("counts"), dict) for f in counts), counts[:3]
    names = [row[0] for row in query(system, "alarms_site", "SELECT name FROM alarms_alarm")]
    assert sorted(names) == sorted(real)
    assert_no_crash(system)
