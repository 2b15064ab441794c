from rest_framework.routers import DefaultRouter

from buildings_site.buildings.api import BuildingViewSet

router = DefaultRouter()
router.register("buildings", BuildingViewSet, basename="building")
urlpatterns = router.urls
