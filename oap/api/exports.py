"""`export/` on the actions and results lists: every row the caller may see, with the list's filters."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError

from oap import export


class ExportMixin:
    """Adds `GET <list>/export/?file=csv|xlsx&<filters>`: the whole filtered list as a spreadsheet."""

    export_columns: list[str] = []
    export_stem = "export"

    def export_rows(self, queryset):
        raise NotImplementedError

    def perform_content_negotiation(self, request, force=False):
        """A file answers whatever the caller accepts (the file's type is `file`'s), errors in JSON."""
        return super().perform_content_negotiation(request, force=force or self.action == "export")

    @extend_schema(
        summary="Download the filtered list (every row you may see) as CSV or XLSX",
        parameters=[
            OpenApiParameter(
                "file", OpenApiTypes.STR, enum=["csv", "xlsx"], description="The format (default csv)."
            ),
        ],
        responses={
            (200, "application/octet-stream"): OpenApiResponse(
                OpenApiTypes.BINARY,
                description="The file (CSV or XLSX as `file` says), as bytes: the type given when "
                "`Accept: application/octet-stream` is sent, and what generated clients read.",
            ),
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.BINARY, description="The rows as CSV."),
            (
                200,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            ): OpenApiResponse(OpenApiTypes.BINARY, description="The rows as XLSX."),
        },
    )
    @action(detail=False, methods=["get"], pagination_class=None)
    def export(self, request):
        kind = request.query_params.get("file", "csv")
        if kind not in export.CONTENT_TYPES:
            raise ValidationError({"file": ["Give csv or xlsx."]})
        queryset = self.filter_queryset(self.get_queryset())  # the access rule, then the filters
        response = export.download(kind, self.export_stem, self.export_columns, self.export_rows(queryset))
        if request.headers.get("Accept", "").startswith("application/octet-stream"):
            response["Content-Type"] = "application/octet-stream"
        return response
