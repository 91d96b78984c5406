"""Choices of the reporting app: factsheet statuses and the kinds of generated files.

Their content types: `reporting.views.CONTENT_TYPES` (CSV and XLSX from `oap.export`).
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class FactsheetStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    COMPILING = "compiling", _("Compiling")
    COMPILED = "compiled", _("Compiled")
    FAILED = "failed", _("Failed")
    PUBLISHED = "published", _("Published")


#: Statuses of a version that is still open (not frozen): at most one per year and scope.
OPEN_STATUSES = (
    FactsheetStatus.DRAFT,
    FactsheetStatus.COMPILING,
    FactsheetStatus.COMPILED,
    FactsheetStatus.FAILED,
)


class FileKind(models.TextChoices):
    HTML = "html", _("HTML page")
    PDF = "pdf", _("PDF")
    CSV = "csv", _("CSV of the figures")
    XLSX = "xlsx", _("XLSX of the figures")


FILE_NAMES = {
    FileKind.HTML: "factsheet.html",
    FileKind.PDF: "factsheet.pdf",
    FileKind.CSV: "figures.csv",
    FileKind.XLSX: "figures.xlsx",
}
