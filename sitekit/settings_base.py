"""Django settings shared by every site.

Each site's ``settings.py`` star-imports this module (and ``bridge.settings`` for NATS) and
then names only what is its own (URLconf, apps, database name), so the three sites cannot
drift apart. Every value comes from the environment, with defaults that run on a
developer's machine.
"""

from __future__ import annotations

from datetime import timedelta

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from sitekit.env import env_bool, env_int, env_list, env_str

PRODUCTION = env_bool("DJANGO_PRODUCTION", False)
DEBUG = env_bool("DJANGO_DEBUG", False)
SECRET_KEY = env_str("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if PRODUCTION:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set in production")
    # A fixed key is fine on a developer's machine and in tests; production refuses it above.
    SECRET_KEY = "insecure-local-development-key-change-me-0123456789abcdefghijklmnop"

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

# HTTPS hardening, on in production (TLS ends at the proxy in front of the web processes).
# Health and metrics stay reachable over plain HTTP for probes inside the network.
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", PRODUCTION)
SECURE_REDIRECT_EXEMPT = [r"^health/", r"^metrics$"]
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if PRODUCTION else None
SECURE_HSTS_SECONDS = env_int("DJANGO_SECURE_HSTS_SECONDS", 31536000 if PRODUCTION else 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = PRODUCTION
SECURE_HSTS_PRELOAD = PRODUCTION
SESSION_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_SECURE = PRODUCTION
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

BASE_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI served from the site itself, never a CDN
    "axes",
    "sitekit",
]

MIDDLEWARE = [
    "sitekit.webmetrics.RequestMetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "sitekit.middleware.TraceIdMiddleware",
    "sitekit.middleware.BodySizeLimitMiddleware",
    "sitekit.middleware.DatabaseUnavailableMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: turns a locked-out sign-in into its 429 page.
    "axes.middleware.AxesMiddleware",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]


def database_from_env(default_name: str) -> dict:
    """The site's database from ``DATABASE_URL``, defaulting to a local PostgreSQL.

    A ``sqlite:///path`` URL is accepted too: the run command falls back to it when no
    PostgreSQL is reachable, so the system still starts on a bare machine.
    """
    url = env_str("DATABASE_URL", f"postgres://postgres@127.0.0.1:5432/{default_name}")
    config = dj_database_url.parse(url, conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60, minimum=0))
    # No health check (a ``SELECT 1`` before each request's first query): a connection that
    # died since the last request fails that one request with a 503 (``sitekit.middleware``),
    # Django then drops it, and the next request connects anew. A round trip per request
    # is too much to pay for that.
    config["CONN_HEALTH_CHECKS"] = False
    if config["ENGINE"].endswith("sqlite3"):
        # Several processes write to one file: wait for the lock instead of failing, and
        # take it up front so two writers never deadlock upgrading a read lock.
        config["OPTIONS"] = {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL;PRAGMA synchronous=NORMAL;",
        }
        config["CONN_MAX_AGE"] = 0
    else:
        config["TEST"] = {"NAME": f"test_{config['NAME']}"}
    return config


DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True  # serve app static files without a collectstatic step locally

# /metrics answers only requests with "Authorization: Bearer <METRICS_TOKEN>" when it is set
# (Prometheus: ``authorization: {credentials_file: ...}``). Production refuses to start without
# one, since the web ports are published; the run command makes one per run.
METRICS_TOKEN = env_str("METRICS_TOKEN", "")
if PRODUCTION and not METRICS_TOKEN:
    raise ImproperlyConfigured("METRICS_TOKEN must be set in production: /metrics is served on the web port")

# Bodies larger than this are refused before they are read into memory.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DJANGO_MAX_BODY_BYTES", 1024 * 1024, minimum=1024)

# Who may call the APIs: clients send "Authorization: Token <key>", people signed in to the
# admin use their session (the browsable API). Token comes first so that anonymous calls get
# 401 with "WWW-Authenticate: Token" (the first class names the challenge; sessions have none).
# Any signed-in user may read; writes need the model's add/change/delete permission.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "sitekit.authentication.CachedTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "rest_framework.permissions.DjangoModelPermissions",
    ],
    "DEFAULT_PAGINATION_CLASS": "sitekit.pagination.StrictPageNumberPagination",
    # JSON only, as the OpenAPI document says: form fields arrive as text, which the strict
    # number fields rightly refuse. The browsable API still posts JSON from its raw-data form.
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "PAGE_SIZE": env_int("API_PAGE_SIZE", 50, minimum=1),
    "DEFAULT_FILTER_BACKENDS": ["sitekit.filters.ListFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
}

# Seconds a process trusts an API token it has checked, without asking the database again
# (sitekit/authentication.py says why and what it costs); 0 checks on every request.
API_TOKEN_CACHE_SECONDS = env_int("API_TOKEN_CACHE_SECONDS", 10, minimum=0)

# Pages that need a signed-in user send people to the sign-in form every active user may
# use (sitekit.urls.account_urlpatterns); after signing in without a ``next`` page, the API root.
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/api/"
LOGOUT_REDIRECT_URL = "login"
# The staff superuser ``manage.py ensure_admin`` creates when it is missing. Without a
# password it makes one up and prints it once, except in production, where it refuses.
ADMIN_USERNAME = env_str("DJANGO_ADMIN_USER", "admin")
ADMIN_PASSWORD = env_str("DJANGO_ADMIN_PASSWORD", "")

# Sign-in lockout (django-axes, see sitekit/signin.py): LOGIN_FAILURE_LIMIT wrong passwords
# for one user from one address lock that pair out of every sign-in form for
# LOGIN_COOLOFF_SECONDS; a correct password before then starts the count afresh.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(seconds=env_int("LOGIN_COOLOFF_SECONDS", 900, minimum=1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_DISABLE_ACCESS_LOG = True  # record failures only, not a row per successful sign-in

# API tokens: a client address that sends API_TOKEN_FAILURE_LIMIT wrong tokens within
# API_TOKEN_FAILURE_WINDOW seconds is answered 429 (with Retry-After) until the window passes.
API_TOKEN_FAILURE_LIMIT = env_int("API_TOKEN_FAILURE_LIMIT", 20, minimum=1)
API_TOKEN_FAILURE_WINDOW = env_int("API_TOKEN_FAILURE_WINDOW", 60, minimum=1)

LOG_LEVEL = env_str("LOG_LEVEL", "INFO").upper()
LOG_FORMAT = env_str("LOG_FORMAT", "text")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"trace": {"()": "natswire.tracing.TraceIdFilter"}},
    "formatters": {
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [trace=%(trace_id)s] %(message)s"},
        "json": {"()": "sitekit.logs.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["trace"],
            "formatter": "json" if LOG_FORMAT == "json" else "text",
        },
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "nats": {"level": "WARNING"},
        "axes": {"level": "WARNING"},  # one INFO line per process start and per sign-in otherwise
    },
}


def spectacular_settings(title: str, description: str) -> dict:
    """The OpenAPI document's settings for one site."""
    return {
        "TITLE": title,
        "DESCRIPTION": description,
        "VERSION": "1.0.0",
        "SERVE_INCLUDE_SCHEMA": False,
        # The docs page's scripts, styles and icon come from this site (drf-spectacular-sidecar),
        # so /api/docs/ works offline and behind proxies that block CDNs.
        "SWAGGER_UI_DIST": "SIDECAR",
        "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
        "REDOC_DIST": "SIDECAR",
        "COMPONENT_SPLIT_REQUEST": True,
        # Error answers too, so clients and the schema-driven fuzz test know every status code.
        "POSTPROCESSING_HOOKS": [
            "drf_spectacular.hooks.postprocess_schema_enums",
            "sitekit.openapi.document_error_responses",
            "sitekit.openapi.document_refused_characters",
        ],
    }


TEST_RUNNER = "sitekit.testing.SiteTestRunner"
