"""Every stored file of a factsheet version, rendered in memory (nothing written here)."""

from __future__ import annotations

from ..choices import FileKind
from .base import FactsheetMeta
from .charts import render_charts
from .html import render_html
from .pdf import render_pdf
from .tables import figures_csv, figures_xlsx


def render_files(figures: dict, meta: FactsheetMeta) -> dict[str, bytes]:
    """{file kind: content} for the HTML page, the PDF, and the figures as CSV and XLSX.

    The files of a published version carry its publication (no watermark); their creation date
    is the version's publication, else its compile.
    """
    charts = render_charts(figures)
    return {
        FileKind.HTML: render_html(figures, meta, charts=charts).encode("utf-8"),
        FileKind.PDF: render_pdf(figures, meta, charts=charts),
        FileKind.CSV: figures_csv(figures),
        FileKind.XLSX: figures_xlsx(figures, created=meta.published_at or meta.compiled_at),
    }
