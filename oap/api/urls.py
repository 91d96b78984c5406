from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from . import completeness, views

router = DefaultRouter()
router.register("organisations", views.OrganisationViewSet, basename="organisation")
router.register("cycles", views.CycleViewSet, basename="cycle")
router.register("priorities", views.PriorityViewSet, basename="priority")
router.register("plans", views.PlanViewSet, basename="plan")
router.register("actions", views.ActionViewSet, basename="action")
router.register("result-types", views.ResultTypeViewSet, basename="result-type")
router.register("results", views.ResultViewSet, basename="result")
router.register("periods", completeness.PeriodViewSet, basename="period")

app_name = "api"
urlpatterns = [
    path("me/", views.MeView.as_view(), name="me"),
    path("completeness/", completeness.CompletenessView.as_view(), name="completeness"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # the split view serves its start-up script as a file: no inline script, so the CSP holds
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
    *router.urls,
]
