"""Settings of the ceiling app: a database and a URLconf, nothing else."""

import dj_database_url

SECRET_KEY = "bench-ceiling-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS: list[str] = []
MIDDLEWARE: list[str] = []
ROOT_URLCONF = "bench.ceiling.urls"
USE_TZ = True
# The buildings database of the bench, connections kept as the sites keep theirs.
DATABASES = {"default": dj_database_url.config(conn_max_age=60)}
DATABASES["default"]["CONN_HEALTH_CHECKS"] = False
