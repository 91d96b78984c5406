"""`export/` on the actions and results lists: every row the caller may see, with the list's filters."""

from __future__ import annotations

from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError

from oap.spreadsheets import write_csv, write_xlsx

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


class ExportMixin:
    """Adds `GET <list>/export/?file=csv|xlsx&<filters>`: the whole filtered list as a spreadsheet."""

    export_columns: list[str] = []
    export_stem = "export"

    def export_rows(self, queryset):
        raise NotImplementedError

    @extend_schema(
        summary="Download the filtered list (every row you may see) as CSV or XLSX",
        parameters=[
            OpenApiParameter(
                "file", OpenApiTypes.STR, enum=["csv", "xlsx"], description="The format (default csv)."
            ),
        ],
        responses={
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
        if kind not in CONTENT_TYPES:
            raise ValidationError({"file": ["Give csv or xlsx."]})
        queryset = self.filter_queryset(self.get_queryset())  # the access rule, then the filters
        rows = self.export_rows(queryset)
        content = (
            write_xlsx(self.export_columns, rows, title=self.export_stem)
            if kind == "xlsx"
            else write_csv(self.export_columns, rows)
        )
        response = HttpResponse(content, content_type=CONTENT_TYPES[kind])
        stem = f"{self.export_stem}-{timezone.localdate():%Y%m%d}"
        response["Content-Disposition"] = f'attachment; filename="{stem}.{kind}"'
        return response
