"""URLconf of alarms_site."""

from django.contrib import admin
from django.urls import include, path

from alarms_site.alarms.views import alarm_live_page, alarm_status_page
from sitekit.urls import account_urlpatterns, api_docs_urlpatterns, metrics_urlpatterns

handler404 = "sitekit.views.not_found"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("health/", include("bridge.health")),
    path("api/", include("alarms_site.alarms.urls")),
    path("alarms/live/", alarm_live_page, name="alarm-live"),
    path("alarms/status/", alarm_status_page, name="alarm-status"),
    *account_urlpatterns(),
    *api_docs_urlpatterns(),
    *metrics_urlpatterns(),
]
