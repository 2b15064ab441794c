"""URL patterns every site mounts the same way."""

from __future__ import annotations

from django.contrib.auth.views import LoginView, LogoutView
from django.urls import URLPattern, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from sitekit.webmetrics import metrics_view


def api_docs_urlpatterns() -> list[URLPattern]:
    """The OpenAPI schema at ``/api/schema/`` and its browsable docs at ``/api/docs/``."""
    return [
        path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
        path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    ]


def metrics_urlpatterns() -> list[URLPattern]:
    """Prometheus metrics of this web process (all its workers) at ``/metrics``."""
    return [path("metrics", metrics_view, name="prometheus-metrics")]


def account_urlpatterns() -> list[URLPattern]:
    """Sign in and out at ``/accounts/login/`` and ``/accounts/logout/``, for any active user.

    The admin's login form admits staff only; an operator who may only watch the live page
    signs in here (``LOGIN_URL``).
    """
    return [
        path("accounts/login/", LoginView.as_view(redirect_authenticated_user=True), name="login"),
        path("accounts/logout/", LogoutView.as_view(), name="logout"),
    ]
