"""URLconf of workflows_site."""

from django.contrib import admin
from django.urls import include, path

from sitekit.urls import account_urlpatterns, api_docs_urlpatterns, metrics_urlpatterns

handler404 = "sitekit.views.not_found"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("health/", include("bridge.health")),
    path("api/", include("workflows_site.workflows.urls")),
    *account_urlpatterns(),
    *api_docs_urlpatterns(),
    *metrics_urlpatterns(),
]
