"""WSGI entry point of workflows_site (served by sitekit.webserver)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "workflows_site.settings")
application = get_wsgi_application()

from sitekit.heap import freeze_startup_objects  # noqa: E402 (needs the settings above)

freeze_startup_objects(with_urls=True)
