"""The factsheet as an HTML page (the stored file and the page at /reports/factsheets/<year>/)."""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from ..compile import BREAKDOWN_KEYS
from .base import FactsheetMeta, breakdown_header, fmt_number, headline_rows
from .charts import charts_svg


def _table(items: list[dict], describe) -> list[dict]:
    return [
        {"label": describe(item), "values": [fmt_number(item.get(key)) for key in BREAKDOWN_KEYS]}
        for item in items
    ]


def context(figures: dict, meta: FactsheetMeta, charts: dict[str, str] | None = None) -> dict:
    charts = {name: mark_safe(svg) for name, svg in (charts or charts_svg(figures)).items()}
    return {
        "meta": meta,
        "figures": figures,
        "headline": headline_rows(figures),
        "charts": charts,
        "breakdown_header": breakdown_header(),
        "by_priority": _table(figures.get("by_priority") or [], lambda p: f"{p['number']}. {p['name']}"),
        "by_plan": _table(figures.get("by_plan") or [], lambda p: f"{p['code']} — {p['name']}"),
        "participation": [
            {
                **row,
                "arrests_text": fmt_number(row.get("arrests")),
                "kind_text": "third country" if row["kind"] == "third_country" else "Member State",
            }
            for row in figures.get("participation") or []
        ],
    }


def render_html(
    figures: dict,
    meta: FactsheetMeta,
    *,
    page: dict | None = None,
    request=None,
    charts: dict[str, str] | None = None,
) -> str:
    """The HTML document; `page` adds what the live page shows (status, links) to the file's content."""
    data = context(figures, meta, charts)
    data["page"] = page
    return render_to_string("reporting/factsheet.html", data, request=request)
