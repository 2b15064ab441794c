"""Natural batching of requests: whatever queued up while the last batch ran is the next batch.

Under light load every batch holds one request, so latency is that of a single request.
Under heavy load batches grow by themselves, and one thread hop and one transaction serve
many requests: the cost per request falls exactly when it matters.
"""

from __future__ import annotations

import asyncio
import logging

from nats.micro.request import Request

from bridge.dispatch import Answer, answer_batch, refuse_oversized
from bridge.metrics import BATCH_SIZE, HANDLER_SECONDS, MESSAGES
from bridge.routes import Meta, Reply
from bridge.runtime import Runtime
from natswire.connection import IDEMPOTENCY_HEADER
from natswire.tracing import TRACE_HEADER, clean_trace_id

logger = logging.getLogger("bridge")

# A second batch goes to the database while the first is there only when at least this many
# requests wait: a batch's fixed cost (a transaction, a thread hop: about as much CPU as eight
# requests) pays off only for a large batch. With several replicas sharing two cores, two
# small batches per replica cost 15-25% more CPU per request than one larger one.
SECOND_LANE_BACKLOG = 16


def request_meta(route: Reply, request: Request) -> Meta:
    """What the handler may know about a request besides its payload."""
    headers = request.headers or {}
    return Meta(
        subject=route.subject,
        trace_id=clean_trace_id(headers.get(TRACE_HEADER)),
        idempotency_key=headers.get(IDEMPOTENCY_HEADER) or None,
        headers=dict(headers),
    )


class RequestBatcher:
    """Queues one route's requests and answers them in batches of up to ``route.max_batch``."""

    def __init__(self, route: Reply, *, runtime: Runtime, queue_size: int) -> None:
        self.route = route
        self.runtime = runtime
        # Bounded: when the database falls behind, the subscription stops being read and
        # NATS holds the backlog, instead of this process growing without limit.
        self.queue: asyncio.Queue[Request] = asyncio.Queue(maxsize=queue_size)
        self._lanes: list[asyncio.Task] = []
        self._backlog = asyncio.Event()

    def start(self) -> None:
        name = f"batch {self.route.subject}"
        self._lanes = [asyncio.create_task(self._lane(), name=name), asyncio.create_task(self._overflow(), name=name)]

    async def put(self, request: Request) -> None:
        """Queue a request; one over the route's size limit is answered 413 on the spot.

        Refusing before the queue means a flood of oversized bodies is never held in memory
        by the hundred, and never parsed.
        """
        refusal = refuse_oversized(self.route, request.data)
        if refusal is not None:
            MESSAGES.labels(self.route.subject, "request", "error").inc()
            await self._respond(request, refusal)
            return
        await self.queue.put(request)
        if self.queue.qsize() >= SECOND_LANE_BACKLOG:
            self._backlog.set()

    async def finish(self, timeout: float) -> None:
        """Answer everything queued (call after the subscription is drained), then stop."""
        try:
            await asyncio.wait_for(self.queue.join(), timeout)
        except TimeoutError:
            logger.error("%s: %d requests unanswered at shutdown", self.route.subject, self.queue.qsize())
        for lane in self._lanes:
            lane.cancel()
        await asyncio.gather(*self._lanes, return_exceptions=True)

    async def _lane(self) -> None:
        while True:
            await self._take_batch(await self.queue.get())

    async def _overflow(self) -> None:
        """A second batch in the database at once, only while a large backlog waits."""
        while True:
            await self._backlog.wait()
            self._backlog.clear()
            if self.queue.qsize() >= SECOND_LANE_BACKLOG:
                await self._take_batch(self.queue.get_nowait())

    async def _take_batch(self, first: Request) -> None:
        batch = [first]
        while len(batch) < self.route.max_batch and not self.queue.empty():
            batch.append(self.queue.get_nowait())
        try:
            await self._answer(batch)
        except Exception:  # never let one batch kill the lane
            logger.exception("%s: batch of %d failed", self.route.subject, len(batch))
        finally:
            for _ in batch:
                self.queue.task_done()

    async def _answer(self, batch: list[Request]) -> None:
        items = [(request.data, request_meta(self.route, request)) for request in batch]
        BATCH_SIZE.labels(self.route.subject).observe(len(batch))
        with HANDLER_SECONDS.labels(self.route.subject).time():
            answers = await self.runtime.run_sync(answer_batch, self.route, items)
        for request, answer in zip(batch, answers, strict=True):
            MESSAGES.labels(self.route.subject, "request", "ok" if answer.error is None else "error").inc()
            await self._respond(request, answer)

    async def _respond(self, request: Request, answer: Answer) -> None:
        try:
            await request.respond(answer.body, headers=answer.headers)
        except Exception as error:  # the requester may be gone; nothing else to do
            logger.warning("could not answer %s: %s", self.route.subject, error)
