"""WSGI entry point of the ceiling app."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.ceiling.settings")
application = get_wsgi_application()

# As the sites do, so the fraction compares request handling alone.
from sitekit.heap import freeze_startup_objects  # noqa: E402 (needs the settings above)

freeze_startup_objects(with_urls=True)
