"""Test support for NATS: a private nats-server per test class, and a stand-in peer."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sysconfig
import tempfile
import threading
import time
from pathlib import Path

from django.test import override_settings

from bridge.client import reset_client


class NatsServer:
    """A private nats-server (JetStream on) on a free loopback port, for one test class."""

    def __init__(self) -> None:
        self.port = _free_port()
        self.url = f"nats://127.0.0.1:{self.port}"
        self.monitor_port = _free_port()  # HTTP monitoring (``/connz``): what the server sees
        self._store = tempfile.TemporaryDirectory(prefix="nats-test-")
        self._process: subprocess.Popen | None = None

    def start(self) -> NatsServer:
        binary = Path(sysconfig.get_path("scripts")) / "nats-server"
        listen = ["-a", "127.0.0.1", "-p", str(self.port), "-m", str(self.monitor_port)]
        self._process = subprocess.Popen(
            [str(binary), *listen, "-js", "-sd", self._store.name],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", self.port)) == 0:
                    return self
            time.sleep(0.05)
        self.stop()
        raise RuntimeError("nats-server did not start")

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(10)
            self._process = None
        self._store.cleanup()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class NatsTestMixin:
    """Gives a test class its own NATS server and points the site's NATS client at it."""

    nats: NatsServer

    @classmethod
    def setUpClass(cls) -> None:
        cls.nats = NatsServer().start()
        cls._nats_settings = override_settings(NATS_URL=cls.nats.url)
        cls._nats_settings.enable()
        reset_client()
        super().setUpClass()

    @classmethod
    def tearDownClass(cls) -> None:
        super().tearDownClass()
        reset_client()
        cls._nats_settings.disable()
        cls.nats.stop()


class Responder:
    """A stand-in peer answering one subject from a background thread (for unit tests only).

    ``answer(payload, headers) -> (body, headers)``; every request received is kept in
    ``received`` so tests can check what was sent.
    """

    def __init__(self, url: str, subject: str, answer) -> None:
        self.url = url
        self.subject = subject
        self.answer = answer
        self.received: list[tuple[bytes, dict[str, str]]] = []
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Responder:
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("responder did not start")
        return self

    def __exit__(self, *exc) -> None:
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)

    def _run(self) -> None:
        self._loop.run_until_complete(self._serve())

    async def _serve(self) -> None:
        import nats

        self._stop = asyncio.Event()
        nc = await nats.connect(self.url)

        async def handle(msg) -> None:
            self.received.append((msg.data, dict(msg.headers or {})))
            body, headers = self.answer(msg.data, dict(msg.headers or {}))
            await nc.publish(msg.reply, body, headers=headers or None)

        await nc.subscribe(self.subject, cb=handle)
        await nc.flush()
        self._ready.set()
        await self._stop.wait()
        await nc.close()
