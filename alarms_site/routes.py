"""alarms_site's NATS routes: what the alarms bridge replicas consume and publish."""

from django.conf import settings

from alarms_site.alarms import handlers
from alarms_site.alarms.serializers import AlarmEventSerializer
from bridge.routes import Event, Publish, RouteTable

ROUTES = RouteTable(
    service="alarms",
    version="1.0.0",
    description="Stores alarm.created events and pushes each new alarm to the live pages.",
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
        Publish(
            f"{settings.ALARMS_LIVE_SUBJECT}.created",
            "Core NATS, after commit: the alarms a batch stored (live pages).",
        ),
        Publish(
            f"{settings.ALARMS_LIVE_SUBJECT}.acknowledged",
            "Core NATS, after commit: alarms just acknowledged (live pages).",
        ),
    ],
)
