"""Settings of alarms_site: the shared base plus what is this site's own."""

from django.core.exceptions import ImproperlyConfigured

from bridge.settings import *  # noqa: F403
from bridge.settings import BRIDGE_APPS
from sitekit.env import env_bool, env_int, env_list, env_mapping, env_str
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
# persistent connection would be stranded and leak (Django ticket #33497). The bridge's
# worker threads live as long as their process and keep theirs (BRIDGE_CONN_MAX_AGE).
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
# The live page's counts are taken at most once per this many milliseconds per web process, and
# within as long after the last change (alarms_site/alarms/livecounts.py says why).
ALARMS_LIVE_COUNTS_MS = env_int("ALARMS_LIVE_COUNTS_MS", 1000, minimum=50)
# Live sockets one web process serves at once; more are told to try again later.
ALARMS_LIVE_MAX_SOCKETS = env_int("ALARMS_LIVE_MAX_SOCKETS", 1000, minimum=1)
# Bytes a live socket may have waiting unsent (a client that stopped reading) before daphne
# drops it; the page then reconnects and catches up from the database. At least two full
# frames (alarms.live.MAX_FRAME_BYTES): one being sent and the next, for a client that reads.
ALARMS_LIVE_SEND_BUFFER = env_int("ALARMS_LIVE_SEND_BUFFER", 1024 * 1024, minimum=128 * 1024)

# The operator's rules (ISA-18.2 / EEMUA 191); every figure can be set per deployment.
# Priority of each severity: "high", "medium" or "low" (the 5/15/80 % guideline's three).
ALARMS_PRIORITY_BY_SEVERITY = env_mapping(
    "ALARMS_PRIORITY_BY_SEVERITY",
    {"critical": "high", "major": "medium", "minor": "low", "warning": "low", "info": "low"},
    values=("high", "medium", "low"),
)
# The longest a timed shelve may last, in minutes (8 h), and how often expired shelves are ended.
ALARMS_SHELVE_MAX_MINUTES = env_int("ALARMS_SHELVE_MAX_MINUTES", 8 * 60, minimum=1)
ALARMS_SHELVE_CHECK_SECONDS = env_int("ALARMS_SHELVE_CHECK_SECONDS", 5, minimum=1)
# Chattering: this many raise/clear transitions of one alarm within the window marks it;
# with ALARMS_CHATTER_AUTO_SHELVE it is also shelved until it clears (journaled).
ALARMS_CHATTER_TRANSITIONS = env_int("ALARMS_CHATTER_TRANSITIONS", 3, minimum=2)
ALARMS_CHATTER_WINDOW_SECONDS = env_int("ALARMS_CHATTER_WINDOW_SECONDS", 60, minimum=1)
ALARMS_CHATTER_AUTO_SHELVE = env_bool("ALARMS_CHATTER_AUTO_SHELVE", False)
# Flood: starts when more than START alarms are annunciated within WINDOW minutes, ends when a
# window of that length has fewer than END.
ALARMS_FLOOD_START = env_int("ALARMS_FLOOD_START", 10, minimum=1)
ALARMS_FLOOD_END = env_int("ALARMS_FLOOD_END", 5, minimum=1)
ALARMS_FLOOD_WINDOW_MINUTES = env_int("ALARMS_FLOOD_WINDOW_MINUTES", 10, minimum=1)
if ALARMS_FLOOD_END > ALARMS_FLOOD_START:  # else one count could start a flood and end it at once
    raise ImproperlyConfigured(
        f"ALARMS_FLOOD_END ({ALARMS_FLOOD_END}) may not exceed ALARMS_FLOOD_START ({ALARMS_FLOOD_START})"
    )
# An alarm open longer than this is "standing" (hours).
ALARMS_STANDING_HOURS = env_int("ALARMS_STANDING_HOURS", 24, minimum=1)

# Escalation: an alarm of these priorities still active and unacknowledged this long after it
# was stored asks the workflows service for a response workflow (empty: never); each alarms
# bridge looks for such alarms every ALARMS_ESCALATE_CHECK_SECONDS.
ALARMS_ESCALATE_PRIORITIES = env_list("ALARMS_ESCALATE_PRIORITIES", ["high"])
if not set(ALARMS_ESCALATE_PRIORITIES) <= {"high", "medium", "low"}:
    raise ImproperlyConfigured(
        f"ALARMS_ESCALATE_PRIORITIES={','.join(ALARMS_ESCALATE_PRIORITIES)} must name high, medium or low"
    )
ALARMS_ESCALATE_AFTER_SECONDS = env_int("ALARMS_ESCALATE_AFTER_SECONDS", 300, minimum=1)
ALARMS_ESCALATE_CHECK_SECONDS = env_int("ALARMS_ESCALATE_CHECK_SECONDS", 10, minimum=1)
# How often the alarms bridges announce the buildings whose open alarms changed (alarms.open_counts).
ALARMS_COUNTS_SECONDS = env_int("ALARMS_COUNTS_SECONDS", 5, minimum=1)

SPECTACULAR_SETTINGS = spectacular_settings(
    "Alarms API", "Alarms received as alarm.created events over NATS JetStream, and their acknowledgement."
)
# The alarm state's choices serve three fields (state, from_state, to_state): one enum name.
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"] = {"AlarmStateEnum": "alarms_site.alarms.models.State"}
