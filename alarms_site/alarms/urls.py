from django.urls import path
from rest_framework.routers import DefaultRouter

from alarms_site.alarms.api import AlarmsPerMinuteApi, AlarmViewSet, OutOfServiceViewSet

router = DefaultRouter()
router.register("alarms", AlarmViewSet, basename="alarm")
router.register("out-of-service", OutOfServiceViewSet, basename="out-of-service")
urlpatterns = [
    path("alarms/stats/per-minute/", AlarmsPerMinuteApi.as_view(), name="alarm-stats-per-minute"),
    *router.urls,
]
