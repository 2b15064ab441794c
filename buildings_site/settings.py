"""Settings of buildings_site: the shared base plus what is this site's own."""

from bridge.settings import *  # noqa: F403
from bridge.settings import BRIDGE_APPS
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
