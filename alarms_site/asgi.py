"""ASGI entry point of alarms_site (daphne): HTTP through Django, WebSockets through Channels."""

import os

from django.conf import settings
from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "alarms_site.settings")
# Set up Django before anything imports models (the consumers do).
django_application = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from alarms_site.alarms.routing import websocket_urlpatterns  # noqa: E402
from alarms_site.alarms.slowclients import limit_unsent_output  # noqa: E402
from sitekit.heap import freeze_startup_objects  # noqa: E402

# Daphne would otherwise buffer without limit for a client that stops reading.
limit_unsent_output(settings.ALARMS_LIVE_SEND_BUFFER)

application = ProtocolTypeRouter(
    {
        "http": django_application,
        # Sessions and users are resolved already, so adding authentication later is a
        # check in the consumer, not a change of stack.
        "websocket": AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)
freeze_startup_objects(with_urls=True)  # collections under load skip what start-up made
