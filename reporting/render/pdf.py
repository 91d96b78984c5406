"""The factsheet as a PDF, made with reportlab (pure pip, no system packages)."""

from __future__ import annotations

import io

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import cm
from reportlab.platypus import Image, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from ..compile import BREAKDOWN_KEYS
from .base import FactsheetMeta, breakdown_header, fmt_number, headline_rows
from .charts import charts_png

BLUE = colors.HexColor("#003399")
TABLE_STYLE = TableStyle(
    [
        ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", 7.5),
        ("FONT", (0, 1), (-1, -1), "Helvetica", 7.5),
        ("TEXTCOLOR", (0, 0), (-1, 0), BLUE),
        ("LINEBELOW", (0, 0), (-1, 0), 0.8, BLUE),
        ("LINEBELOW", (0, 1), (-1, -1), 0.25, colors.lightgrey),
        ("ALIGN", (1, 0), (-1, -1), "RIGHT"),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
    ]
)


def _chart(png: bytes, width: float) -> Image:
    image = Image(io.BytesIO(png))
    ratio = image.imageHeight / image.imageWidth
    image.drawWidth, image.drawHeight = width, width * ratio
    return image


def _table(rows: list[list], widths=None) -> Table:
    table = Table(rows, colWidths=widths, repeatRows=1, hAlign="LEFT")
    table.setStyle(TABLE_STYLE)
    return table


def render_pdf(figures: dict, meta: FactsheetMeta, charts: dict[str, bytes] | None = None) -> bytes:
    """The PDF document (bytes starting with %PDF); reproducible (reportlab's invariant mode)."""
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=1.6 * cm,
        rightMargin=1.6 * cm,
        topMargin=1.5 * cm,
        bottomMargin=1.5 * cm,
        title=f"{meta.title} — {meta.scope}",
        author="EMPACT support (Europol)",
        subject=f"Factsheet of EMPACT results, {meta.year}, version {meta.version}",
        invariant=1,
    )
    styles = getSampleStyleSheet()
    styles["Title"].textColor = BLUE
    width = doc.width
    story = [
        Paragraph(meta.title, styles["Title"]),
        Paragraph(meta.subtitle, styles["Normal"]),
        Spacer(1, 0.4 * cm),
    ]
    headline = [["", str(figures.get("year")), str(figures.get("previous_year")), "change"]]
    headline += [
        [r["label"], r["value_text"], r["previous_text"], r["change_text"]] for r in headline_rows(figures)
    ]
    story += [_table(headline, [7 * cm, 3.5 * cm, 3.5 * cm, 3 * cm]), Spacer(1, 0.4 * cm)]
    charts = charts or charts_png(figures)
    story += [_chart(charts["vs_previous"], width), Spacer(1, 0.3 * cm)]
    story += [_chart(charts["by_priority"], width), Spacer(1, 0.3 * cm)]

    header = ["", *breakdown_header()]
    story.append(Paragraph("Results by priority", styles["Heading2"]))
    rows = [header] + [
        [f"{p['number']}. {p['code']}", *[fmt_number(p.get(k)) for k in BREAKDOWN_KEYS]]
        for p in figures.get("by_priority") or []
    ]
    story.append(_table(rows))
    story.append(Paragraph("Results by operational action plan", styles["Heading2"]))
    rows = [header] + [
        [p["code"], *[fmt_number(p.get(k)) for k in BREAKDOWN_KEYS]] for p in figures.get("by_plan") or []
    ]
    story.append(_table(rows))
    story.append(Paragraph("Participation by country", styles["Heading2"]))
    rows = [["Country", "Actions", "Led", "Co-led", "Results reported", "Arrests"]] + [
        [
            f"{c['name']} ({c['code']})",
            c["actions"],
            c["led"],
            c["co_led"],
            c["entries"],
            fmt_number(c["arrests"]),
        ]
        for c in figures.get("participation") or []
    ]
    story.append(_table(rows))
    story.append(Spacer(1, 0.4 * cm))
    story.append(
        Paragraph(
            f"Compiled from {figures.get('entries', 0)} validated result entries. Checksum of the inputs: "
            f"{meta.checksum}",
            styles["Italic"],
        )
    )
    doc.build(story)
    return buffer.getvalue()
