from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

admin.site.site_header = "EMPACT Tracker"
admin.site.site_title = "EMPACT Tracker"
admin.site.index_title = "Operational action plans and results"

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="admin:index", permanent=False)),
    path("admin/", admin.site.urls),
    path("api/v1/", include("oap.api.urls")),
]
