"""Factsheets in the API: figures, state of the compile, and links to the files."""

from __future__ import annotations

from django.urls import reverse
from django.utils.http import urlencode
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from reporting.choices import FILE_NAMES
from reporting.models import Factsheet

from .figures import FiguresSerializer


class FactsheetSerializer(serializers.ModelSerializer):
    priority = serializers.CharField(source="priority.code", read_only=True, allow_null=True, default=None)
    files = serializers.SerializerMethodField(
        help_text="Download links: factsheet.pdf, .html, figures.csv, .xlsx."
    )
    entries = serializers.SerializerMethodField(
        help_text="Download links of the year's validated entries you may see (CSV, XLSX)."
    )
    url = serializers.HyperlinkedIdentityField(view_name="factsheet-detail", lookup_field="pk")
    figures = serializers.SerializerMethodField(help_text="The figures (empty until compiled).")

    class Meta:
        model = Factsheet
        fields = [
            "id",
            "url",
            "year",
            "priority",
            "version",
            "status",
            "progress",
            "task_id",
            "checksum",
            "error",
            "requested_at",
            "compiled_at",
            "published_at",
            "figures",
            "files",
            "entries",
        ]
        read_only_fields = fields

    def _link(self, factsheet, filename, with_version=True):
        query = {}
        if with_version:
            query["version"] = factsheet.version
        if factsheet.priority_id:
            query["priority"] = factsheet.priority.code
        path = reverse("reporting:download", args=[factsheet.year, filename])
        if query:
            path += "?" + urlencode(query)
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path

    @extend_schema_field(FiguresSerializer(allow_null=True))
    def get_figures(self, factsheet):
        return factsheet.figures or None

    def get_files(self, factsheet) -> dict[str, str]:
        if not factsheet.checksum:
            return {}
        return {kind: self._link(factsheet, name) for kind, name in FILE_NAMES.items()}

    def get_entries(self, factsheet) -> dict[str, str]:
        return {
            kind: self._link(factsheet, f"entries.{kind}", with_version=False) for kind in ("csv", "xlsx")
        }


class CompileRequestSerializer(serializers.Serializer):
    year = serializers.IntegerField(help_text="The year to compile, e.g. 2023.")
    priority = serializers.CharField(
        required=False,
        allow_null=True,
        default=None,
        help_text="A priority code for a priority's factsheet; empty for EU-wide.",
    )

    def to_internal_value(self, data):
        if isinstance(data, dict):
            unknown = sorted(set(data) - {"year", "priority"})
            if unknown:
                raise serializers.ValidationError(
                    {name: ["This field cannot be set here."] for name in unknown}
                )
        return super().to_internal_value(data)
