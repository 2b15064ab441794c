"""Settings of buildings_site: the shared base plus what is this site's own."""

from bridge.settings import *  # noqa: F403
from bridge.settings import BRIDGE_APPS, NATS_PEER_WIRE
from natswire.envelope import WIRES
from sitekit.env import env_choice
from sitekit.settings_base import *  # noqa: F403
from sitekit.settings_base import BASE_APPS, database_from_env, spectacular_settings

SITE_PACKAGE = "buildings_site"
ROOT_URLCONF = "buildings_site.urls"
WSGI_APPLICATION = "buildings_site.wsgi.application"
BRIDGE_ROUTES = "buildings_site.routes"
INSTALLED_APPS = [*BASE_APPS, *BRIDGE_APPS, "buildings_site.buildings"]
DATABASES = {"default": database_from_env("buildings")}
SPECTACULAR_SETTINGS = spectacular_settings(
    "Buildings API", "Buildings, each created with its first workflow from the workflows service."
)
# How this site calls workflows.create (see NATS_PEER_WIRE in bridge/settings.py): "plain"
# for ours, "nestjs" or "nestjs-object" for a NestJS workflows service.
WORKFLOWS_WIRE = env_choice("WORKFLOWS_WIRE", NATS_PEER_WIRE, WIRES)
