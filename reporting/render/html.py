"""The factsheet in HTML: the stored file (a standalone document) and the page inside the admin.

Both show `reporting/factsheet_body.html`: the sections of `base.sections`, each chart an inline
SVG with `role="img"` and its text alternative as `aria-label`.
"""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils.html import escape
from django.utils.safestring import mark_safe

from .base import FactsheetMeta, footnote, headline_rows, sections
from .charts import render_charts


def _accessible(svg: str, alt: str) -> str:
    """The SVG announced as one image described by `alt` (its own text is not read out)."""
    return svg.replace("<svg ", f'<svg role="img" aria-label="{escape(alt)}" ', 1)


def _table(table) -> dict:
    labels = table.labels or table.header
    return {
        "header": table.header,
        "rows": [
            [
                {"label": label, "value": value, "text": index < table.text_columns}
                for index, (label, value) in enumerate(zip(labels, row, strict=True))
            ]
            for row in table.rows
        ],
    }


def context(figures: dict, meta: FactsheetMeta, charts: dict[str, dict] | None = None) -> dict:
    charts = charts or render_charts(figures, png=False)
    shown = []
    for section in sections(figures):
        item = {
            "id": section.id,
            "title": section.title,
            "table": _table(section.table) if section.table else None,
        }
        if section.chart:
            chart = charts[section.chart]
            item["chart"] = {"svg": mark_safe(_accessible(chart["svg"], chart["alt"])), "alt": chart["alt"]}
        shown.append(item)
    return {
        "meta": meta,
        "figures": figures,
        "headline": headline_rows(figures),
        "sections": shown,
        "footnote": footnote(figures),
    }


def render_html(figures: dict, meta: FactsheetMeta, *, charts: dict[str, dict] | None = None) -> str:
    """The standalone HTML document of the version (the stored file)."""
    return render_to_string("reporting/factsheet.html", context(figures, meta, charts))
