"""URL patterns every site mounts the same way."""

from __future__ import annotations

from django.urls import URLPattern, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from bridge.webmetrics import metrics_view


def api_docs_urlpatterns() -> list[URLPattern]:
    """The OpenAPI schema at ``/api/schema/`` and its browsable docs at ``/api/docs/``."""
    return [
        path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
        path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    ]


def metrics_urlpatterns() -> list[URLPattern]:
    """Prometheus metrics of this web process (all gunicorn workers) at ``/metrics``."""
    return [path("metrics", metrics_view, name="prometheus-metrics")]
