"""buildings_site's NATS routes: what the buildings bridge process serves."""

from django.conf import settings

from bridge.routes import Announce, Event, Outbox, RouteTable
from buildings_site.buildings import handlers
from buildings_site.buildings.serializers import (
    AlarmOpenCountsSerializer,
    BuildingDeletedEventSerializer,
    WorkflowReplySerializer,
)
from sitekit.peer_events import WorkflowStatusChangedSerializer

ROUTES = RouteTable(
    service="buildings",
    version="1.0.0",
    description=(
        "Sends each new building's workflow request until the workflows service answers, announces deleted "
        "buildings, and keeps each building's open workflows and alarms from the other services' events."
    ),
    routes=[
        Outbox(
            subject="workflows.create",
            reply_serializer=WorkflowReplySerializer,
            on_reply=handlers.workflow_created,
            on_failure=handlers.workflow_refused,
            # WORKFLOWS_WIRE: "plain" for ours, "nestjs" or "nestjs-object" for a NestJS service.
            wire=settings.WORKFLOWS_WIRE,
        ),
        Announce(
            subject="building.deleted",
            serializer=BuildingDeletedEventSerializer,
            stream="BUILDINGS",
            stream_subjects=("building.>",),
            description="After commit, through the outbox: the workflows and alarms services clean up after it.",
        ),
        Event(
            subject="workflow.status_changed",
            handler=handlers.workflows_changed,
            serializer=WorkflowStatusChangedSerializer,
            stream="WORKFLOWS",
            stream_subjects=("workflow.>",),
            durable="buildings-service-workflows",
            batch_size=200,
            dead_letter_subject="deadletter.buildings.workflow.status_changed",
            dead_letter_stream="BUILDINGS_WORKFLOWS_DEAD_LETTER",
        ),
        Event(
            subject="alarms.open_counts",
            handler=handlers.alarms_counted,
            serializer=AlarmOpenCountsSerializer,
            stream="ALARM_COUNTS",
            stream_subjects=("alarms.open_counts",),
            durable="buildings-service-alarm-counts",
            batch_size=50,
            dead_letter_subject="deadletter.buildings.alarms.open_counts",
            dead_letter_stream="BUILDINGS_ALARM_COUNTS_DEAD_LETTER",
        ),
    ],
)
