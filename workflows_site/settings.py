"""Settings of workflows_site: the shared base plus what is this site's own."""

from bridge.settings import *  # noqa: F403
from bridge.settings import BRIDGE_APPS
from sitekit.settings_base import *  # noqa: F403
from sitekit.settings_base import BASE_APPS, database_from_env, spectacular_settings

SITE_PACKAGE = "workflows_site"
ROOT_URLCONF = "workflows_site.urls"
WSGI_APPLICATION = "workflows_site.wsgi.application"
BRIDGE_ROUTES = "workflows_site.routes"
INSTALLED_APPS = [*BASE_APPS, *BRIDGE_APPS, "workflows_site.workflows"]
DATABASES = {"default": database_from_env("workflows")}
SPECTACULAR_SETTINGS = spectacular_settings(
    "Workflows API", "Workflows of buildings; also served over NATS as workflows.create."
)
# A workflow's status, and the one status a new workflow may be created with: one name each.
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"] = {
    "WorkflowStatusEnum": "workflows_site.workflows.models.WorkflowStatus",
    "WorkflowCreateStatusEnum": [("new", "New")],
}
