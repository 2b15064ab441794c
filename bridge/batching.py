"""Natural batching of requests: whatever queued up while the last batch ran is the next batch.

Under light load every batch holds one request, so latency is that of a single request.
Under heavy load batches grow by themselves, and one thread hop and one transaction serve
many requests: the cost per request falls exactly when it matters.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from nats.micro.request import Request

from bridge.connection import IDEMPOTENCY_HEADER
from bridge.dispatch import Answer, answer_batch, refuse_oversized
from bridge.metrics import BATCH_SIZE, HANDLER_SECONDS, MESSAGES
from bridge.routes import Meta, Reply
from bridge.tracing import TRACE_HEADER, clean_trace_id

if TYPE_CHECKING:
    from bridge.runner import Bridge

logger = logging.getLogger("bridge")

LANES = 2  # batches in flight at once: one in the database while the next one gathers


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

    def __init__(self, route: Reply, *, bridge: Bridge, queue_size: int) -> None:
        self.route = route
        self.bridge = bridge
        # Bounded: when the database falls behind, the subscription stops being read and
        # NATS holds the backlog, instead of this process growing without limit.
        self.queue: asyncio.Queue[Request] = asyncio.Queue(maxsize=queue_size)
        self._lanes: list[asyncio.Task] = []

    def start(self) -> None:
        self._lanes = [asyncio.create_task(self._lane(), name=f"batch {self.route.subject}") for _ in range(LANES)]

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
            batch = [await self.queue.get()]
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
            answers = await self.bridge.run_sync(answer_batch, self.route, items)
        for request, answer in zip(batch, answers, strict=True):
            MESSAGES.labels(self.route.subject, "request", "ok" if answer.error is None else "error").inc()
            await self._respond(request, answer)

    async def _respond(self, request: Request, answer: Answer) -> None:
        try:
            await request.respond(answer.body, headers=answer.headers)
        except Exception as error:  # the requester may be gone; nothing else to do
            logger.warning("could not answer %s: %s", self.route.subject, error)
