"""Limits a WebSocket consumer applies to its clients: how many sockets a process serves, how fast one may talk.

Both exist so that no client, buggy or hostile, can take what the others need: every open
socket costs the process memory and a share of each live message it fans out, and every
message from a client costs work on the one thread where database calls run. A page needs
one socket and sends one message per connection, so the limits are far above normal use.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable


class SocketSlots:
    """How many sockets this process serves at once; one over the limit is refused (and retries later)."""

    def __init__(self) -> None:
        self._holders: set[Hashable] = set()

    def admit(self, holder: Hashable, *, limit: int) -> bool:
        """Take a slot for ``holder``; False when all ``limit`` slots are taken."""
        if holder not in self._holders and len(self._holders) >= limit:
            return False
        self._holders.add(holder)
        return True

    def release(self, holder: Hashable) -> None:
        """Give ``holder``'s slot back (nothing if it had none)."""
        self._holders.discard(holder)

    def __len__(self) -> int:
        return len(self._holders)


class MessageRate:
    """A token bucket: ``burst`` messages at once, then ``per_second`` on average."""

    def __init__(self, *, per_second: float, burst: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_second = per_second
        self.burst = burst
        self.clock = clock
        self._tokens = float(burst)
        self._last = clock()

    def allow(self) -> bool:
        """Whether one more message fits now (and count it)."""
        now = self.clock()
        self._tokens = min(self.burst, self._tokens + (now - self._last) * self.per_second)
        self._last = now
        if self._tokens < 1:
            return False
        self._tokens -= 1
        return True
