"""workflows_site's NATS routes: what the workflows bridge replicas serve."""

from bridge.routes import Reply, RouteTable
from workflows_site.workflows import handlers
from workflows_site.workflows.serializers import WorkflowCreateMessageSerializer

ROUTES = RouteTable(
    service="workflows",
    version="1.0.0",
    description="Creates workflows for buildings.",
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
    ],
)
