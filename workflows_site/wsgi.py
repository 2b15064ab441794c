"""WSGI entry point of workflows_site (served by sitekit.webserver)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "workflows_site.settings")
application = get_wsgi_application()
