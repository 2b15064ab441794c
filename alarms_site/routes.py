"""alarms_site's NATS routes: what the alarms bridge replicas consume and publish."""

from django.conf import settings

from alarms_site.alarms import handlers
from alarms_site.alarms.peer_serializers import (
    AlarmOpenCountsSerializer,
    BuildingDeletedEventSerializer,
    WorkflowReplySerializer,
)
from alarms_site.alarms.serializers import AlarmClearedEventSerializer, AlarmEventSerializer
from bridge.routes import Announce, Event, Every, Outbox, Publish, RouteTable
from sitekit.peer_events import WorkflowStatusChangedSerializer

ROUTES = RouteTable(
    service="alarms",
    version="1.0.0",
    description=(
        "Stores alarm.created and alarm.cleared events and pushes each change to the live pages; closes a "
        "deleted building's alarms, keeps buildings under maintenance out of service, escalates unanswered "
        "alarms to response workflows and announces each building's open alarms."
    ),
    routes=[
        Event(
            subject="alarm.created",
            handler=handlers.alarms_created,
            serializer=AlarmEventSerializer,
            stream="ALARMS",
            stream_subjects=("alarm.>",),
            durable="alarms-service",
            id_field="id",
            batch_size=500,
            # Outside ``alarm.>`` so a parked event is never captured by ALARMS again.
            dead_letter_subject="deadletter.alarm.created",
        ),
        Event(
            subject="alarm.cleared",
            handler=handlers.alarms_cleared,
            serializer=AlarmClearedEventSerializer,
            stream="ALARMS",
            stream_subjects=("alarm.>",),
            # Its own durable consumer: clears never wait behind a burst of raises. A clear read
            # before its raise is stored finds no open alarm and is counted, not retried.
            durable="alarms-service-cleared",
            id_field="id",
            batch_size=500,
            dead_letter_subject="deadletter.alarm.cleared",
            dead_letter_stream="ALARMS_CLEARED_DEAD_LETTER",
        ),
        Event(
            subject="building.deleted",
            handler=handlers.buildings_deleted,
            serializer=BuildingDeletedEventSerializer,
            stream="BUILDINGS",
            stream_subjects=("building.>",),
            durable="alarms-service-buildings",
            id_field="id",
            batch_size=50,
            dead_letter_subject="deadletter.alarms.building.deleted",
            dead_letter_stream="ALARMS_BUILDINGS_DEAD_LETTER",
        ),
        Event(
            subject="workflow.status_changed",
            handler=handlers.workflows_changed,
            serializer=WorkflowStatusChangedSerializer,
            stream="WORKFLOWS",
            stream_subjects=("workflow.>",),
            durable="alarms-service-workflows",
            id_field="id",
            batch_size=200,
            dead_letter_subject="deadletter.alarms.workflow.status_changed",
            dead_letter_stream="ALARMS_WORKFLOWS_DEAD_LETTER",
        ),
        Outbox(
            subject="workflows.create",
            reply_serializer=WorkflowReplySerializer,
            on_reply=handlers.response_workflow_created,
            on_failure=handlers.response_workflow_refused,
            keyed=True,  # the reply does not name the alarm; the key alarm-<event id>-response does
        ),
        Announce(
            subject="alarms.open_counts",
            serializer=AlarmOpenCountsSerializer,
            stream="ALARM_COUNTS",
            stream_subjects=("alarms.open_counts",),
            description="The buildings whose open alarms changed, on a schedule, for the buildings site.",
        ),
        Publish(
            f"{settings.ALARMS_LIVE_SUBJECT}.created",
            "Core NATS, after commit: the alarms a batch stored (live pages).",
        ),
        Publish(
            f"{settings.ALARMS_LIVE_SUBJECT}.acknowledged",
            "Core NATS, after commit: alarms just acknowledged (live pages).",
        ),
        Publish(
            f"{settings.ALARMS_LIVE_SUBJECT}.changed",
            "Core NATS, after commit: whole alarms changed otherwise (cleared, shelved, assigned...; live pages).",
        ),
    ],
    schedules=[
        Every(
            name="alarm-shelves",
            seconds=settings.ALARMS_SHELVE_CHECK_SECONDS,
            handler=handlers.shelves_expire,
            description="Ends the timed shelves whose time is up (the end is stored, so it survives restarts).",
        ),
        Every(
            name="alarm-escalations",
            seconds=settings.ALARMS_ESCALATE_CHECK_SECONDS,
            handler=handlers.escalations_due,
            description="Asks for a response workflow for each alarm nobody acknowledged in time (escalation.py).",
        ),
        Every(
            name="alarm-open-counts",
            seconds=settings.ALARMS_COUNTS_SECONDS,
            handler=handlers.open_counts_publish,
            description="Announces the buildings whose number of open alarms changed (opencounts.py).",
        ),
    ],
)
