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


class BuildingDeleted(WorkflowChangeRefused):
    """The building was deleted: it gets no workflow any more (409, as retrying cannot help)."""

    status = 409

    def __init__(self, building_ids: list[int]) -> None:
        self.building_ids = building_ids
        if len(building_ids) == 1:
            message = f"building {building_ids[0]} was deleted: no workflow is created for it"
        else:
            message = f"buildings {', '.join(map(str, building_ids))} were deleted: no workflow is created for them"
        super().__init__(message, field="building_id")
