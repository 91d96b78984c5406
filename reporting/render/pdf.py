"""The factsheet as a PDF, made with reportlab (pure pip, no system packages).

- Every character is drawn with DejaVu Sans, the TrueType family matplotlib ships (regular, bold,
  oblique), embedded as subsets: it holds the narrow no-break space that separates thousands
  (`13 871`), the minus sign, dashes and the euro sign, which reportlab's 14 standard fonts lack.
- The sections are those of the HTML page (`base.sections`), in its order; each chart is
  followed by its text alternative as a caption.
- Every page carries "page x of y" and, until the version is published, a "Not published —
  version n" watermark across it.
- Document information: title, subject, keywords, author and creator "EMPACT Tracker", and the
  version's real creation date (its publication, else its compile). Everything else is fixed
  (reportlab's invariant mode), so the same version renders to the same bytes.
"""

from __future__ import annotations

import datetime
import functools
import io
from pathlib import Path

import matplotlib
from django.utils import timezone
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.fonts import addMapping
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import cm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, Image, KeepTogether, SimpleDocTemplate, Spacer, Table, TableStyle

from .base import AUTHOR, FactsheetMeta, Section, footnote, sections
from .charts import render_charts

FONT_DIR = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
FONT_FILES = {
    "DejaVuSans": FONT_DIR / "DejaVuSans.ttf",
    "DejaVuSans-Bold": FONT_DIR / "DejaVuSans-Bold.ttf",
    "DejaVuSans-Oblique": FONT_DIR / "DejaVuSans-Oblique.ttf",
    "DejaVuSans-BoldOblique": FONT_DIR / "DejaVuSans-BoldOblique.ttf",
}
REGULAR, BOLD, ITALIC = "DejaVuSans", "DejaVuSans-Bold", "DejaVuSans-Oblique"
#: reportlab's sample styles name Helvetica; each gets its DejaVu counterpart
STANDARD_TO_DEJAVU = {
    "Helvetica": REGULAR,
    "Helvetica-Bold": BOLD,
    "Helvetica-Oblique": ITALIC,
    "Helvetica-BoldOblique": "DejaVuSans-BoldOblique",
    "Times-Roman": REGULAR,
    "Times-Bold": BOLD,
    "Times-Italic": ITALIC,
    "Times-BoldItalic": "DejaVuSans-BoldOblique",
    "Courier": REGULAR,
}
BLUE = colors.HexColor("#003399")
GREY = colors.HexColor("#555555")
MARGIN = 1.6 * cm
TABLE_FONT_SIZE = 7.5
CELL_PADDING = 4
TEXT_COLUMN_SHARE = 0.16  # of the width, for a text column beside the first
MIN_NUMBER_WIDTH = 36  # points: the narrowest column of numbers (its header and values may widen it)


@functools.cache
def register_fonts() -> None:
    """Register DejaVu Sans once per process, as one family (so <b> and <i> find its faces)."""
    for name, path in FONT_FILES.items():
        pdfmetrics.registerFont(TTFont(name, str(path)))
    for bold, italic, name in (
        (0, 0, REGULAR),
        (1, 0, BOLD),
        (0, 1, ITALIC),
        (1, 1, "DejaVuSans-BoldOblique"),
    ):
        addMapping(REGULAR, bold, italic, name)


def _styles() -> dict[str, ParagraphStyle]:
    sample = getSampleStyleSheet()
    styles = {}
    for name in ("Title", "Normal", "Heading2", "Italic"):
        style = sample[name].clone(name)
        style.fontName = STANDARD_TO_DEJAVU.get(style.fontName, REGULAR)
        styles[name] = style
    styles["Title"].textColor = BLUE
    styles["Heading2"].textColor = BLUE
    styles["Caption"] = ParagraphStyle("Caption", styles["Italic"], fontSize=7.5, leading=9.5, textColor=GREY)
    styles["Cell"] = ParagraphStyle("Cell", styles["Normal"], fontSize=TABLE_FONT_SIZE, leading=9)
    styles["Head"] = ParagraphStyle(
        "Head", styles["Cell"], fontName=BOLD, fontSize=6.5, leading=8, textColor=BLUE
    )
    styles["HeadNumber"] = ParagraphStyle("HeadNumber", styles["Head"], alignment=TA_RIGHT)
    return styles


TABLE_STYLE = TableStyle(
    [
        ("FONT", (0, 0), (-1, -1), REGULAR, TABLE_FONT_SIZE),
        ("LINEBELOW", (0, 0), (-1, 0), 0.8, BLUE),
        ("LINEBELOW", (0, 1), (-1, -1), 0.25, colors.lightgrey),
        ("ALIGN", (1, 0), (-1, -1), "RIGHT"),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("LEFTPADDING", (0, 0), (-1, -1), CELL_PADDING),
        ("RIGHTPADDING", (0, 0), (-1, -1), CELL_PADDING),
    ]
)


class Text(Flowable):
    """Text wrapped at plain spaces only, in one style.

    reportlab's Paragraph takes U+202F (the narrow no-break space between thousands) for a word
    break: it may wrap `13 871` over two lines and prints a plain space in its place. Here only
    U+0020 breaks a line, and every other character is drawn as it is.
    """

    def __init__(self, text: str, style: ParagraphStyle):
        super().__init__()
        self.text, self.style = text, style
        self.lines: list[str] = []

    def _width(self, text: str) -> float:
        return pdfmetrics.stringWidth(text, self.style.fontName, self.style.fontSize)

    def _wrap_lines(self, width: float) -> list[str]:
        lines, line = [], ""
        for word in self.text.split(" "):
            candidate = f"{line} {word}" if line else word
            if not line or self._width(candidate) <= width:
                line = candidate
            else:
                lines.append(line)
                line = word
            while self._width(line) > width and len(line) > 1:  # a word longer than the line
                cut = max(i for i in range(1, len(line) + 1) if self._width(line[:i]) <= width or i == 1)
                lines.append(line[:cut])
                line = line[cut:]
        return [*lines, line]

    def wrap(self, available_width, available_height):
        self.lines = self._wrap_lines(available_width)
        self.width = available_width
        self.height = len(self.lines) * self.style.leading
        return self.width, self.height

    def getSpaceBefore(self):
        return self.style.spaceBefore

    def getSpaceAfter(self):
        return self.style.spaceAfter

    def draw(self):
        canvas, style = self.canv, self.style
        canvas.setFont(style.fontName, style.fontSize)
        canvas.setFillColor(style.textColor)
        y = self.height - style.fontSize
        for line in self.lines:
            if style.alignment == TA_RIGHT:
                canvas.drawRightString(self.width, y, line)
            elif style.alignment == TA_CENTER:
                canvas.drawCentredString(self.width / 2, y, line)
            else:
                canvas.drawString(0, y, line)
            y -= style.leading


def _paragraph(text: str, style: ParagraphStyle) -> Text:
    return Text(text, style)


def _column_widths(table, width: float, styles) -> list[float]:
    """Each number column as wide as its widest value or header word, the name column the rest."""
    head, cell = styles["HeadNumber"], styles["Cell"]
    narrowest = MIN_NUMBER_WIDTH if len(table.header) > 4 else 2 * MIN_NUMBER_WIDTH  # a few: roomy
    widths = []
    for index, label in enumerate(table.header[1:], start=1):
        if index < table.text_columns:
            widths.append(width * TEXT_COLUMN_SHARE)
            continue
        words = [pdfmetrics.stringWidth(w, head.fontName, head.fontSize) for w in label.split(" ")]
        values = [pdfmetrics.stringWidth(row[index], cell.fontName, cell.fontSize) for row in table.rows]
        widths.append(max([narrowest, *words, *values]) + 2 * CELL_PADDING)
    return [width - sum(widths), *widths]


def _table(section: Section, width: float, styles) -> Table:
    table = section.table
    header = [_paragraph(table.header[0], styles["Head"])]
    header += [_paragraph(text, styles["HeadNumber"]) for text in table.header[1:]]
    rows = [header] + [[_paragraph(row[0], styles["Cell"]), *row[1:]] for row in table.rows]
    flowable = Table(rows, colWidths=_column_widths(table, width, styles), repeatRows=1, hAlign="LEFT")
    flowable.setStyle(TABLE_STYLE)
    if table.text_columns > 1:
        flowable.setStyle([("ALIGN", (1, 0), (table.text_columns - 1, -1), "LEFT")])
    return flowable


def _chart(png: bytes, width: float) -> Image:
    image = Image(io.BytesIO(png))
    ratio = image.imageHeight / image.imageWidth
    image.drawWidth, image.drawHeight = width, width * ratio
    return image


def _status_line(meta: FactsheetMeta) -> str:
    if meta.published:
        return f"Published version {meta.version}, {timezone.localtime(meta.published_at):%-d %B %Y}."
    compiled = f" compiled {timezone.localtime(meta.compiled_at):%-d %B %Y}" if meta.compiled_at else ""
    return f"Not published: version {meta.version}{compiled}; its figures may still change."


def _story(figures: dict, meta: FactsheetMeta, charts: dict[str, dict], width: float) -> list:
    styles = _styles()
    story = [
        _paragraph(meta.title, styles["Title"]),
        _paragraph(meta.subtitle, styles["Normal"]),
        _paragraph(_status_line(meta), styles["Italic"]),
    ]
    for section in sections(figures):
        parts = [_paragraph(section.title, styles["Heading2"])]
        if section.chart:
            chart = charts[section.chart]
            parts += [_chart(chart["png"], width), _paragraph(chart["alt"], styles["Caption"])]
            story.append(KeepTogether(parts))
            parts = [Spacer(1, 0.2 * cm)]
        if section.table:
            parts.append(_table(section, width, styles))
        story += parts
    story += [
        Spacer(1, 0.4 * cm),
        _paragraph(footnote(figures), styles["Caption"]),
        _paragraph(f"Checksum of the inputs: {meta.checksum}", styles["Caption"]),
    ]
    return story


def _pdf_date(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.UTC).strftime("D:%Y%m%d%H%M%S+00'00'")


class FactsheetCanvas(Canvas):
    """Pages kept until the end, so each can say "page x of y" and carry the watermark."""

    def __init__(self, *args, meta: FactsheetMeta, **kwargs):
        super().__init__(*args, **kwargs)
        self._meta = meta
        self._saved_pages: list[dict] = []
        created = meta.published_at or meta.compiled_at or timezone.now()
        self.setDateFormatter(lambda *_: _pdf_date(created))

    def showPage(self):
        self._saved_pages.append(dict(self.__dict__))
        self._startPage()

    def save(self):
        total = len(self._saved_pages)
        for state in self._saved_pages:
            self.__dict__.update(state)
            self._decorate(total)
            super().showPage()
        super().save()

    def _decorate(self, total: int) -> None:
        width, height = self._pagesize
        self.saveState()
        self.setFont(REGULAR, 7.5)
        self.setFillColor(GREY)
        self.drawString(MARGIN, 0.8 * cm, f"{self._meta.title} — {self._meta.subtitle}")
        self.drawRightString(width - MARGIN, 0.8 * cm, f"page {self._pageNumber} of {total}")
        if self._meta.watermark:
            self.setFillColor(colors.Color(0.8, 0.1, 0.1, alpha=0.18))
            self.setFont(BOLD, 42)
            self.translate(width / 2, height / 2)
            self.rotate(50)
            self.drawCentredString(0, 0, self._meta.watermark)
        self.restoreState()


def render_pdf(figures: dict, meta: FactsheetMeta, charts: dict[str, dict] | None = None) -> bytes:
    """The PDF document (bytes starting with %PDF); the same bytes for the same version."""
    register_fonts()
    charts = charts or render_charts(figures, svg=False)
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=1.5 * cm,
        bottomMargin=1.6 * cm,
        title=f"{meta.title} — {meta.scope}",
        author=AUTHOR,
        creator=AUTHOR,
        subject=f"Factsheet of EMPACT results, {meta.year}, {meta.scope}, version {meta.version}"
        + ("" if meta.published else " (not published)"),
        keywords=f"EMPACT, EU policy cycle, serious and organised crime, results, factsheet, {meta.year}, {meta.scope}",
        lang="en",
        invariant=1,
        initialFontName=REGULAR,
    )
    doc.build(
        _story(figures, meta, charts, doc.width),
        canvasmaker=functools.partial(FactsheetCanvas, meta=meta),
    )
    return buffer.getvalue()
