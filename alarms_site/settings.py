"""Settings of alarms_site: the shared base plus what is this site's own."""

from bridge.settings import *  # noqa: F403
from bridge.settings import BRIDGE_APPS
from sitekit.env import env_int, env_str
from sitekit.settings_base import *  # noqa: F403
from sitekit.settings_base import BASE_APPS, database_from_env, spectacular_settings

SITE_PACKAGE = "alarms_site"
ROOT_URLCONF = "alarms_site.urls"
ASGI_APPLICATION = "alarms_site.asgi.application"
BRIDGE_ROUTES = "alarms_site.routes"
# daphne serves this site (``python -m daphne alarms_site.asgi:application``, as the run
# command and compose do) but is not an installed app: as one it would load Twisted into
# every process of the site, the bridges included, about 25 MB each, only to provide
# ``runserver``.
INSTALLED_APPS = [*BASE_APPS, *BRIDGE_APPS, "channels", "alarms_site.alarms"]

DATABASES = {"default": database_from_env("alarms")}
# Django's ASGI handler runs each request's sync code in a thread of its own, where a
# persistent connection would be stranded and leak (Django ticket #33497). The bridge
# process pays one connection per batch for the same setting, which is cheap.
DATABASES["default"]["CONN_MAX_AGE"] = 0

# One in-memory layer per process, on purpose: NATS carries each live message to every web
# process (``bridge.fanout``), and each process hands it to its own sockets through this
# layer. No channel-layer server is needed. The capacity is high because a dropped message
# here would be a gap on a page; bursts arrive as one message per stored batch anyway.
CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels.layers.InMemoryChannelLayer",
        "CONFIG": {"capacity": env_int("ALARMS_CHANNEL_CAPACITY", 5000, minimum=100)},
    }
}

# Core NATS subjects of the live fan-out: ``<prefix>.created`` and ``<prefix>.acknowledged``.
ALARMS_LIVE_SUBJECT = env_str("ALARMS_LIVE_SUBJECT", "alarms.live")
# How many alarms the live page shows, and the most a reconnecting page is sent at once.
ALARMS_LIVE_WINDOW = env_int("ALARMS_LIVE_WINDOW", 100, minimum=1)
# Live sockets one web process serves at once; more are told to try again later.
ALARMS_LIVE_MAX_SOCKETS = env_int("ALARMS_LIVE_MAX_SOCKETS", 1000, minimum=1)
# Bytes a live socket may have waiting unsent (a client that stopped reading) before daphne
# drops it; the page then reconnects and catches up from the database.
ALARMS_LIVE_SEND_BUFFER = env_int("ALARMS_LIVE_SEND_BUFFER", 1024 * 1024, minimum=64 * 1024)

SPECTACULAR_SETTINGS = spectacular_settings(
    "Alarms API", "Alarms received as alarm.created events over NATS JetStream, and their acknowledgement."
)
# The alarm state's choices serve three fields (state, from_state, to_state): one enum name.
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"] = {"AlarmStateEnum": "alarms_site.alarms.models.State"}
