from django.urls import NoReverseMatch, path
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.routers import DefaultRouter
from rest_framework.views import APIView

from . import changes, completeness, views
from .base import ApiViewMixin


class ApiRoot(ApiViewMixin, APIView):
    """The API's entry point: a link to every endpoint."""

    #: name → URL name (`api:` names are this app's; factsheets are reporting's, included beside it)
    extra = {
        "me": "api:me",
        "changes": "api:changes",
        "completeness": "api:completeness",
        "factsheets": "factsheet-list",
        "schema": "api:schema",
        "docs": "api:docs",
    }

    @extend_schema(exclude=True)
    def get(self, request, *args, **kwargs):
        names = {prefix: f"api:{basename}-list" for prefix, _, basename in router.registry}
        links = {}
        for name, url_name in sorted({**names, **self.extra}.items()):
            try:
                links[name] = reverse(url_name, request=request)
            except NoReverseMatch:  # pragma: no cover - every name above is routed
                continue
        return Response(links)


class Router(DefaultRouter):
    def get_api_root_view(self, api_urls=None):
        return ApiRoot.as_view()


router = Router()
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
    path("changes/", changes.ChangesView.as_view(), name="changes"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # the split view serves its start-up script as a file: no inline script, so the CSP holds
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
    *router.urls,
]
