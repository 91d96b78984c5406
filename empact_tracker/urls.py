from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from .health import healthz
from .pages import favicon

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="admin:index", permanent=False)),
    path("favicon.ico", favicon, name="favicon"),
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),  # also answered early by HealthCheckMiddleware
    path("api/v1/", include("reporting.api.urls")),
    path("api/v1/", include("oap.api.urls")),
    path("reports/", include("reporting.urls")),
]

# branded error pages (templates/404.html, 403.html, 500.html); an outage raised outside a view
# (a middleware reading the session) answers 503, not 500
handler404 = "empact_tracker.pages.not_found"
handler403 = "empact_tracker.pages.forbidden"
handler500 = "empact_tracker.outages.server_error"
