"""workflows_site's NATS routes: what the workflows bridge replicas serve, read and announce."""

from bridge.routes import Announce, Event, Reply, RouteTable
from workflows_site.workflows import handlers
from workflows_site.workflows.announcements import STATUS_CHANGED
from workflows_site.workflows.serializers import (
    BuildingDeletedEventSerializer,
    WorkflowCreateMessageSerializer,
    WorkflowStatusChangedSerializer,
    WorkflowTransitionMessageSerializer,
)

ROUTES = RouteTable(
    service="workflows",
    version="1.0.0",
    description="Creates workflows for buildings, moves them through their statuses and announces each change.",
    routes=[
        Reply(
            subject="workflows.create",
            batch_handler=handlers.create_workflows,
            serializer=WorkflowCreateMessageSerializer,
            queue="workflows-service",
            # Where NestJS's ClientProxy.send({ cmd: 'workflows.create' }, data) asks.
            aliases=('{"cmd":"workflows.create"}',),
            description="Create a workflow; idempotent per Idempotency-Key header.",
        ),
        Reply(
            subject="workflows.transition",
            handler=handlers.transition_workflow,
            serializer=WorkflowTransitionMessageSerializer,
            queue="workflows-service",
            description="Move a workflow to another status: new -> active -> completed | cancelled.",
        ),
        Announce(
            subject=STATUS_CHANGED,
            serializer=WorkflowStatusChangedSerializer,
            stream="WORKFLOWS",
            stream_subjects=("workflow.>",),
            description="Every creation and status change of a workflow, through the outbox.",
        ),
        Event(
            subject="building.deleted",
            handler=handlers.buildings_deleted,
            serializer=BuildingDeletedEventSerializer,
            stream="BUILDINGS",
            stream_subjects=("building.>",),
            durable="workflows-service-buildings",
            id_field="id",
            batch_size=100,
            # Outside ``building.>`` so a parked event is never captured by BUILDINGS again.
            dead_letter_subject="deadletter.workflows.building.deleted",
            dead_letter_stream="WORKFLOWS_BUILDINGS_DEAD_LETTER",
        ),
    ],
)
