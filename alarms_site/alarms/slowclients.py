"""A bound on what daphne holds for a WebSocket client that does not read: past it, the client is dropped.

ASGI's ``websocket.send`` has no back-pressure under daphne: every frame goes straight into the
Twisted transport's write buffer, which grows without limit while the client does not read
(a stalled tab, a broken network, a client that never reads on purpose). One such socket on a
busy feed would hold every alarm of the burst in the web process's memory, the next socket
another copy.

Twisted's own flow control is the measure: a transport calls its streaming producer's
``pauseProducing()`` once more than ``bufferSize`` bytes wait unsent beyond what the kernel
took (its send buffer capped to the same size). Here that producer drops the connection.
Nothing is lost by it: the page reconnects and catches up from the database, which is the
record; the live feed is only the news. Daphne has no option for this, so
``limit_unsent_output`` puts a subclass of its WebSocket protocol into its factory, before the
server starts (call it from the ASGI module).
"""

from __future__ import annotations

import logging
import socket

from daphne.ws_protocol import WebSocketFactory, WebSocketProtocol
from twisted.internet.interfaces import IPushProducer
from zope.interface import implementer

logger = logging.getLogger("alarms_site.alarms.slowclients")


@implementer(IPushProducer)
class DropWhenFull:
    """The transport's producer: asked to pause because the client fell behind, it drops the connection."""

    def __init__(self, protocol: WebSocketProtocol, limit: int) -> None:
        self.protocol = protocol
        self.limit = limit
        self.dropped = False

    def pauseProducing(self) -> None:  # noqa: N802 - Twisted's interface
        if self.dropped:
            return
        self.dropped = True
        client = getattr(self.protocol, "client_addr", None) or ["?"]
        logger.warning(
            "WebSocket client %s dropped: more than %d bytes unsent, it is not reading",
            ":".join(map(str, client)),
            self.limit,
        )
        # Not from inside the transport's write, which called us: on the next turn of the loop.
        # Aborting discards the unsent bytes at once (a close frame could never get through).
        self.protocol.transport.reactor.callLater(0, self.protocol.dropConnection, abort=True)

    def resumeProducing(self) -> None:  # noqa: N802 - Twisted's interface
        """Nothing to resume: sending is never paused, the connection is dropped instead."""

    def stopProducing(self) -> None:  # noqa: N802 - Twisted's interface
        """The connection is gone; nothing to stop."""


class BoundedWebSocketProtocol(WebSocketProtocol):
    """Daphne's WebSocket protocol whose transport drops the client past ``unsent_limit`` unsent bytes."""

    unsent_limit = 1024 * 1024
    # Autobahn reads its options from the protocol first: a message over daphne's maximum
    # size is then refused with close code 1009 ("too big"), which tells the client why,
    # instead of a bare dropped connection (1006) that looks like a network failure.
    failByDrop = False  # noqa: N815 - autobahn's option name

    def connectionMade(self) -> None:  # noqa: N802 - Twisted's interface
        super().connectionMade()
        transport = self.transport
        # Daphne hands over the transport of the HTTP request that upgraded, whose channel is
        # still registered as its producer (it only pauses reading): this one takes its place.
        if transport.producer is not None:
            transport.unregisterProducer()
        transport.bufferSize = self.unsent_limit
        transport.registerProducer(DropWhenFull(self, self.unsent_limit), True)
        # The kernel's send buffer is the other place unsent bytes wait, and Linux grows it up to
        # 4 MB per socket (tcp_wmem) before Twisted buffers anything: cap it to the same size.
        transport.getHandle().setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, self.unsent_limit)


def limit_unsent_output(limit: int) -> None:
    """Make daphne drop WebSocket clients with more than ``limit`` bytes waiting to be sent to them."""
    BoundedWebSocketProtocol.unsent_limit = limit
    WebSocketFactory.protocol = BoundedWebSocketProtocol
