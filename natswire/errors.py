"""Errors that cross the wire, with an HTTP-like status so callers can tell them apart."""

from __future__ import annotations

from typing import Any


class HandlerError(Exception):
    """Raised by a handler (or the bridge) to answer a request with an error reply."""

    status = 500

    def __init__(self, message: str, *, status: int | None = None, errors: Any = None) -> None:
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status
        self.errors = errors

    def as_dict(self) -> dict[str, Any]:
        """The error as it is sent: status, message and (for bad input) field errors."""
        body: dict[str, Any] = {"status": self.status, "message": self.message}
        if self.errors is not None:
            body["errors"] = self.errors
        return body


class InvalidPayload(HandlerError):
    """The message could not be decoded or did not pass its serializer."""

    status = 400


class PayloadTooLarge(InvalidPayload):
    """The message is larger than its route accepts; refused before it is parsed."""

    status = 413


class NotFound(HandlerError):
    """The message names something that does not exist."""

    status = 404


class BridgeError(Exception):
    """Base of the errors a caller of ``bridge.client`` may see."""


class NatsUnavailable(BridgeError):
    """The NATS server cannot be reached, or no service answers the subject."""


class NatsAuthorizationFailed(NatsUnavailable):
    """The NATS server refused this process's user or password (a configuration error, not an outage)."""


class NatsTimeout(BridgeError):
    """The service did not answer within the timeout."""


class RemoteError(BridgeError):
    """The service answered with an error reply."""

    def __init__(self, status: int, message: str, errors: Any = None) -> None:
        super().__init__(f"{status}: {message}")
        self.status = status
        self.message = message
        self.errors = errors

    @property
    def is_permanent(self) -> bool:
        """A 4xx answer will not change on retry; anything else may."""
        return 400 <= self.status < 500
