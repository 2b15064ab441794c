"""Publishing a batch of hostile events and reading back what each reader parked.

Each event carries its own trace id, which a parked copy keeps: so every event is known to be
consumed, or parked on each reader's dead-letter stream with a reason, and never both.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass, field

import nats
from nats.aio.msg import Msg

from natswire.tracing import TRACE_HEADER
from stack.system import System
from tests.fuzzcases import ANY, OK, Case
from tests.helpers import Message, publish_one

CONSUMED_WITHIN = 30  # seconds: a bound on a stalled consumer, not a speed target


@dataclass
class Reader:
    """One durable consumer of an event subject, its dead-letter stream, and how much of that
    stream earlier batches explain."""

    durable: str
    dead_letter_stream: str
    seen: int = 0


@dataclass
class Parking:
    """The readers of one event subject on its stream."""

    subject: str
    stream: str
    readers: list[Reader] = field(default_factory=list)

    @property
    def seen(self) -> int:
        """Events parked so far, by all readers together."""
        return sum(reader.seen for reader in self.readers)

    def send(self, system: System, cases: list[Case]) -> list[tuple[Message, bool]]:
        """Publish ``cases`` at once, wait until every reader consumed all; each message, and
        whether any reader parked it.

        Asserts each parked copy is the event as sent, with a reason and its subject, that every
        reader parked each invalid event and none a valid one, and that nothing else was parked.
        """
        traces = [uuid.uuid4().hex for _ in cases]
        messages = [Message(case.body(), msg_id=str(uuid.uuid4()), subject=self.subject, trace_id=trace)
                    for case, trace in zip(cases, traces, strict=True)]  # fmt: skip
        collected = asyncio.run(self._publish_and_collect(system.nats_url, messages))
        parked_by_any: set[str] = set()
        for reader, copies in zip(self.readers, collected, strict=True):
            reader.seen += len(copies)  # first: a failed check must not leave them to the next batch
            parked = self._parked(reader, copies, traces)
            parked_by_any |= set(parked)
            for case, message, trace in zip(cases, messages, traces, strict=True):
                assert parked.get(trace, message.body) == message.body, (reader.durable, case.kind, "parked altered")
                if case.expect == OK:
                    assert trace not in parked, ("a valid event was parked", reader.durable, case.kind, case.data)
                elif case.expect != ANY:
                    assert trace in parked, ("an invalid event was not parked", reader.durable, case.kind,
                                             case.data, case.raw and case.raw[:80])  # fmt: skip
        return [(message, trace in parked_by_any) for message, trace in zip(messages, traces, strict=True)]

    def _parked(self, reader: Reader, copies: list[Msg], traces: list[str]) -> dict[str, bytes]:
        """Trace id -> body of each copy ``reader`` parked, each checked for its headers."""
        parked: dict[str, bytes] = {}
        for message in copies:
            body, headers = message.data or b"", message.headers or {}
            trace = headers.get(TRACE_HEADER)
            assert trace in traces and trace not in parked, f"{reader.durable} parked an event never sent, or twice"
            assert headers.get("Original-Subject") == self.subject, f"parked without its subject: {headers}"
            assert headers.get("Rejected-Reason"), f"parked without a reason: {headers}"
            parked[trace] = body
        return parked

    async def _publish_and_collect(self, nats_url: str, messages: list[Message]) -> list[list[Msg]]:
        """Publish, wait until every reader acknowledged or parked every message, and return what
        each parked since: one connection for all (each login costs the server a bcrypt check)."""
        nc = await nats.connect(nats_url)
        try:
            js = nc.jetstream(timeout=10)
            last = max(await asyncio.gather(*(publish_one(nc, js, message) for message in messages)))
            collected = []
            for reader in self.readers:
                # Until everything up to the last one is acknowledged or terminated (so parked): the
                # consumer's pending count alone may lag behind the stream for a moment.
                deadline = time.monotonic() + CONSUMED_WITHIN
                while (floor := (await js.consumer_info(self.stream, reader.durable)).ack_floor.stream_seq) < last:
                    assert time.monotonic() < deadline, (
                        f"{reader.durable}: consumed up to {floor} of {last} after {CONSUMED_WITHIN}s"
                    )
                    await asyncio.sleep(0.05)
                total = (await js.stream_info(reader.dead_letter_stream)).state.messages
                stream = reader.dead_letter_stream
                collected.append([await js.get_msg(stream, sequence) for sequence in range(reader.seen + 1, total + 1)])
            return collected
        finally:
            await nc.close()
