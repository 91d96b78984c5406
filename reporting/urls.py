"""Report pages; included by the project under /reports/."""

from django.urls import path

from . import completeness, views

app_name = "reporting"

urlpatterns = [
    path("factsheets/", views.factsheet_list, name="factsheet-list"),
    path("factsheets/progress/<int:pk>/", views.factsheet_progress, name="factsheet-progress"),
    path("factsheets/<int:year>/", views.factsheet_page, name="factsheet"),
    path("factsheets/<int:year>/<str:filename>", views.download, name="download"),
    path("completeness/", completeness.completeness_page, name="completeness"),
    path(
        "completeness/completeness.<str:kind>",
        completeness.completeness_download,
        name="completeness-download",
    ),
]
