"""WebSocket routes of alarms_site."""

from django.urls import path

from alarms_site.alarms.consumers import AlarmFeedConsumer

websocket_urlpatterns = [
    path("ws/alarms/", AlarmFeedConsumer.as_asgi(), name="ws-alarms"),
]
