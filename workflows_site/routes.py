"""workflows_site's NATS routes: what the workflows bridge replicas serve, read and announce."""

from bridge.routes import Announce, Reply, RouteTable
from workflows_site.workflows import handlers
from workflows_site.workflows.announcements import STATUS_CHANGED
from workflows_site.workflows.serializers import (
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
    ],
)
