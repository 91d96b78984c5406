"""Included by the project under /api/v1/ (beside oap's API: oap never imports reporting)."""

from rest_framework.routers import SimpleRouter

from .views import FactsheetViewSet

router = SimpleRouter()
router.register("factsheets", FactsheetViewSet, basename="factsheet")

urlpatterns = router.urls
