"""buildings_site's NATS routes: what the buildings bridge process serves."""

from django.conf import settings

from bridge.routes import Outbox, RouteTable
from buildings_site.buildings import handlers
from buildings_site.buildings.serializers import WorkflowReplySerializer

ROUTES = RouteTable(
    service="buildings",
    version="1.0.0",
    description="Sends each new building's workflow request until the workflows service answers.",
    routes=[
        Outbox(
            subject="workflows.create",
            reply_serializer=WorkflowReplySerializer,
            on_reply=handlers.workflow_created,
            on_failure=handlers.workflow_refused,
            # WORKFLOWS_WIRE: "plain" for ours, "nestjs" or "nestjs-object" for a NestJS service.
            wire=settings.WORKFLOWS_WIRE,
        ),
    ],
)
