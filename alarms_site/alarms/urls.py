from django.urls import path
from rest_framework.routers import DefaultRouter

from alarms_site.alarms.api import AlarmsPerMinuteApi, AlarmViewSet, OutOfServiceViewSet
from alarms_site.alarms.kpis_api import AlarmKpisApi

router = DefaultRouter()
router.register("alarms", AlarmViewSet, basename="alarm")
router.register("out-of-service", OutOfServiceViewSet, basename="out-of-service")
urlpatterns = [
    # Before the router's routes, so "kpis" is never read as an alarm's id.
    path("alarms/stats/per-minute/", AlarmsPerMinuteApi.as_view(), name="alarm-stats-per-minute"),
    path("alarms/kpis/", AlarmKpisApi.as_view(), name="alarm-kpis"),
    *router.urls,
]
