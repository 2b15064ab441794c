"""Why a change to workflows is refused: one exception per rule, each naming the input it concerns.

The REST API and the NATS handlers turn them into their own error replies (``status`` is the
HTTP-like status both use), so a rule is written once, in the services.
"""

from __future__ import annotations


class WorkflowChangeRefused(Exception):
    """A change the workflow rules do not allow; ``field`` is the input field it is about."""

    status = 400

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class TransitionRefused(WorkflowChangeRefused):
    """The status asked for may not follow the workflow's status (see ``transitions.NEXT_STATUSES``)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, field="status")
