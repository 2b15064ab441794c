"""The bridge process: serves a site's route table over NATS until SIGTERM.

Shape (as in nats.py's examples): connect, start every route, wait for the stop event set
by SIGTERM/SIGINT, then shut down in order: stop taking requests, finish what is in
flight, drain the connection, return 0.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import logging
import re
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from django.db import connections
from nats.aio.client import Client
from nats.micro import add_service
from nats.micro.request import Request
from nats.micro.service import EndpointConfig, Service

from bridge.batching import RequestBatcher
from bridge.client import bind_bridge_connection, unbind_bridge_connection
from bridge.dispatch import with_django_db
from bridge.events import EventConsumer
from bridge.outbox.relay import OutboxRelay
from bridge.routes import Event, Reply, RouteTable
from bridge.schedules import Schedule
from natswire.connection import connect
from natswire.shutdown import on_stop_signals

logger = logging.getLogger("bridge")
T = TypeVar("T")


def endpoint_name(subject: str) -> str:
    """A micro endpoint's name for ``subject``: ``workflows.create`` -> ``workflows-create``,
    ``{"cmd":"workflows.create"}`` -> ``cmd-workflows-create`` (names allow letters, digits, - and _)."""
    return re.sub(r"[^A-Za-z0-9_-]+", "-", subject).strip("-")


class Bridge:
    """One bridge process for one site's route table."""

    def __init__(
        self,
        table: RouteTable,
        *,
        nats_url: str,
        name: str,
        concurrency: int,
        request_timeout: float,
        nats_user: str = "",
        nats_password: str = "",
        shutdown_grace: float = 30.0,
    ) -> None:
        self.table = table
        self.nats_url = nats_url
        self.nats_user = nats_user
        self._nats_password = nats_password
        self.name = name
        self.concurrency = concurrency
        self.request_timeout = request_timeout
        self.shutdown_grace = shutdown_grace
        self.stopping = asyncio.Event()
        self._executor = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="bridge")
        self._batchers: list[RequestBatcher] = []
        self._service: Service | None = None

    async def run_sync(self, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run blocking Django code in the worker pool, keeping the caller's trace id."""
        context = contextvars.copy_context()
        call = functools.partial(context.run, with_django_db, function, *args, **kwargs)
        return await asyncio.get_running_loop().run_in_executor(self._executor, call)

    def close_workers(self) -> None:
        """Close every worker thread's database connection, then the pool itself.

        One job per thread, held at a barrier so no thread takes two: otherwise a thread
        could keep its connection open and block, for example, dropping a test database.
        """
        size = self._executor._max_workers
        barrier = threading.Barrier(size)

        def close_connection() -> None:
            barrier.wait(timeout=10)
            connections.close_all()

        for _ in range(size):
            self._executor.submit(close_connection)
        self._executor.shutdown(wait=True)

    def install_signal_handlers(self) -> None:
        """SIGTERM and SIGINT mean: drain, then exit 0."""
        on_stop_signals(self.stop)

    def stop(self) -> None:
        """Ask the bridge to shut down gracefully."""
        if not self.stopping.is_set():
            logger.info("%s stopping: draining", self.name)
            self.stopping.set()

    async def run(self, ready: Callable[[], None] | None = None) -> int:
        """Serve until ``stop()``; returns the process exit code.

        Raises ``NatsAuthorizationFailed`` when the server refuses the bridge's user.
        """
        nc = await self._connect_or_stop()
        if nc is None:
            return 0
        workers: list[asyncio.Task] = []
        # Handlers that publish (live news) or ask another service use this connection too.
        client = bind_bridge_connection(nc, asyncio.get_running_loop())
        try:
            await self._serve_replies(nc)
            for route in self.table.of_kind(Event):
                consumer = EventConsumer(route, nc=nc, runtime=self)
                if await consumer.setup():
                    workers.append(asyncio.create_task(consumer.run(), name=f"events {route.subject}"))
            if self.table.relays:
                relay = OutboxRelay(self.table, nc=nc, runtime=self)
                workers.append(asyncio.create_task(relay.run(), name="outbox relay"))
            for every in self.table.schedules:
                workers.append(asyncio.create_task(Schedule(every, runtime=self).run(), name=f"every {every.name}"))
            logger.info("%s serving %s", self.name, ", ".join(r.subject for r in self.table.routes))
            if ready is not None:
                ready()
            await self.stopping.wait()
        finally:
            await self._shutdown(nc, workers)
            unbind_bridge_connection(client)
        return 0

    async def _connect_or_stop(self) -> Client | None:
        connecting = asyncio.create_task(
            connect(
                self.nats_url,
                name=self.name,
                user=self.nats_user,
                password=self._nats_password,
                retry_forever=True,
                closing=self.stopping.is_set,
            )
        )
        stopping = asyncio.create_task(self.stopping.wait())
        await asyncio.wait({connecting, stopping}, return_when=asyncio.FIRST_COMPLETED)
        stopping.cancel()
        if connecting.done():
            return connecting.result()
        connecting.cancel()
        return None

    async def _serve_replies(self, nc: Client) -> None:
        routes = self.table.of_kind(Reply)
        if not routes:
            return
        self._service = await add_service(
            nc,
            name=self.table.service,
            version=self.table.version,
            description=self.table.description,
            metadata={"process": self.name},
        )
        for route in routes:
            handler = self._request_handler(route)  # one batcher for the route and its aliases
            for subject in route.subjects:
                await self._service.add_endpoint(
                    EndpointConfig(
                        name=endpoint_name(subject),
                        subject=subject,
                        queue_group=route.queue,
                        handler=handler,
                        metadata={"description": route.description},
                    )
                )
        await nc.flush()  # the server knows every endpoint before we say we are serving

    def _request_handler(self, route: Reply) -> Callable[[Request], Any]:
        batcher = RequestBatcher(route, runtime=self, queue_size=self.concurrency * 8)
        batcher.start()
        self._batchers.append(batcher)
        # Only queue the request: the subscription is never held up by a slow handler.
        return batcher.put

    async def _stop_taking_requests(self) -> None:
        """Drain, not unsubscribe, the request subscriptions.

        Unsubscribing would drop requests the server already handed to this replica (their
        callers would time out); draining hands each of them to a handler first. nats-py's
        micro ``Service.stop`` unsubscribes, hence the reach into its endpoints.
        """
        if self._service is None:
            return
        for endpoint in self._service._endpoints:
            subscription = endpoint._subscription
            if subscription is not None:
                try:
                    await subscription.drain()
                except Exception as error:  # connection already gone: nothing left to drain
                    logger.warning("draining %s failed: %s", endpoint._subject, error)

    async def _shutdown(self, nc: Client, workers: list[asyncio.Task]) -> None:
        await self._stop_taking_requests()
        # Consumers and the relay watch ``stopping`` and finish the batch they hold first.
        if workers:
            _, late = await asyncio.wait(workers, timeout=self.shutdown_grace)
            for worker in late:
                worker.cancel()
        for batcher in self._batchers:
            await batcher.finish(self.shutdown_grace)
        try:
            await nc.drain()
        except Exception as error:  # not connected (e.g. NATS is down): nothing to flush
            logger.warning("%s closing without drain: %s", self.name, error)
            try:
                await nc.close()
            except Exception as close_error:  # the connection is gone either way; the stop goes on
                logger.warning("%s: closing the NATS connection: %s", self.name, close_error)
        self.close_workers()
        logger.info("%s stopped", self.name)
