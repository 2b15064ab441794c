from rest_framework.routers import DefaultRouter

from workflows_site.workflows.api import WorkflowViewSet

router = DefaultRouter()
router.register("workflows", WorkflowViewSet, basename="workflow")
urlpatterns = router.urls
