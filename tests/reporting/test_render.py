"""The factsheet files a reader gets: the PDF, the charts and the figures XLSX of the demo years.

2022 is compiled and left unpublished (a draft version), 2023 compiled and published, once for
the module, from the demo data (`load_demo`), whose 2023 arrests are the published 13 871.
The PDF is read back with pypdf (pure pip): its text, its document information, its fonts.
"""

from __future__ import annotations

import datetime
import io
import re

import pytest
from django.db import transaction
from django.utils import timezone
from openpyxl import load_workbook
from pypdf import PdfReader

from oap.models import User
from reporting import services
from reporting.choices import FileKind
from reporting.models import Factsheet
from reporting.render import meta_of, render_files
from reporting.render.charts import render_charts
from tests.published import EXACT

pytestmark = pytest.mark.django_db

#: what a PDF viewer or a text extractor shows for a character the font cannot draw
MISSING_GLYPHS = ("\ufffd", "\u25a0", "\u25a1", "\x00")


@pytest.fixture(scope="module")
def factsheets(demo_data, django_db_blocker, tmp_path_factory):
    from django.test import override_settings

    media = tmp_path_factory.mktemp("media")
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=str(media)), transaction.atomic():
        analyst = User.objects.get(username="europol.analyst")
        for year in (2022, 2023):
            services.factsheet_request_compile(by=analyst, year=year)
        for factsheet in Factsheet.objects.all():
            services.factsheet_compile(factsheet_id=factsheet.pk)
        published = services.factsheet_publish(by=analyst, factsheet=Factsheet.objects.get(year=2023))
        yield {"draft": Factsheet.objects.get(year=2022), "published": published, "media": str(media)}
        transaction.set_rollback(True)


@pytest.fixture(autouse=True)
def _media(settings, factsheets):
    settings.MEDIA_ROOT = factsheets["media"]


def stored(factsheet: Factsheet, kind: str) -> bytes:
    with factsheet.files.get(kind=kind).file.open("rb") as fh:
        return fh.read()


def pdf_of(factsheet: Factsheet) -> PdfReader:
    return PdfReader(io.BytesIO(stored(factsheet, FileKind.PDF)))


def pages_text(reader: PdfReader) -> list[str]:
    return [page.extract_text() for page in reader.pages]


def test_the_published_pdf_prints_every_character_with_its_thousands_separator(factsheets):
    reader = pdf_of(factsheets["published"])
    text = "\n".join(pages_text(reader))
    assert "13\u202f871" in text  # the 2023 arrests, with the narrow no-break space
    assert f"{EXACT[2023]['investigations_initiated']:,}".replace(",", "\u202f") in text
    assert not [glyph for glyph in MISSING_GLYPHS if glyph in text]
    # every font is embedded TrueType (DejaVu Sans): none of the 14 standard fonts without U+202F
    fonts = set()
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            fonts.add((str(font["/BaseFont"]), str(font["/Subtype"])))
    assert fonts and all("DejaVuSans" in name and subtype == "/TrueType" for name, subtype in fonts), fonts


def test_every_character_drawn_has_a_glyph_in_the_embedded_font(factsheets):
    """What the font's cmap holds, not only what the extractor guesses: no glyph 0 (.notdef)."""
    from fontTools.ttLib import TTFont

    from reporting.render.pdf import FONT_FILES

    cmap = TTFont(FONT_FILES["DejaVuSans"]).getBestCmap()
    bold = TTFont(FONT_FILES["DejaVuSans-Bold"]).getBestCmap()
    text = "\n".join(pages_text(pdf_of(factsheets["published"])))
    missing = {
        char for char in text if not char.isspace() and ord(char) not in cmap and ord(char) not in bold
    }
    assert not missing


def test_the_watermark_stands_on_every_page_until_the_version_is_published(factsheets):
    draft = pages_text(pdf_of(factsheets["draft"]))
    assert len(draft) > 1
    for text in draft:
        assert "Not published — version 1" in text
    for text in pages_text(pdf_of(factsheets["published"])):
        assert "Not published" not in text


def test_the_pdf_has_page_numbers_and_its_sections(factsheets):
    pages = pages_text(pdf_of(factsheets["published"]))
    for number, text in enumerate(pages, start=1):
        assert f"page {number} of {len(pages)}" in text
    text = "\n".join(pages)
    # the sections of the HTML page, in its order
    headings = [
        "Headline figures",
        "2023 against 2022",
        "Results by priority",
        "Results by operational action plan",
        "Participation by country",
    ]
    positions = [text.find(heading) for heading in headings]
    assert -1 not in positions and positions == sorted(positions), dict(zip(headings, positions, strict=True))
    assert "Published version 1" in text
    assert "Cyber-attacks" in text  # priorities by name, not only by code


def test_the_pdf_metadata_names_the_tracker_and_the_real_creation_date(factsheets):
    published = factsheets["published"]
    info = pdf_of(published).metadata
    assert info.title == "EMPACT results 2023 — EU-wide"
    assert info.author == "EMPACT Tracker" and info.creator == "EMPACT Tracker"
    assert "2023" in info.subject and "version 1" in info.subject
    assert "EMPACT" in info["/Keywords"] and "2023" in info["/Keywords"]
    created = info.creation_date
    assert created is not None and created.year != 2000
    # the version's publication, to the second (the file is made from it, reproducibly)
    assert abs(created - published.published_at) < datetime.timedelta(seconds=1)
    assert abs(created.date() - timezone.now().date()) <= datetime.timedelta(days=1)


def test_the_pdf_charts_carry_a_text_alternative(factsheets):
    text = "\n".join(pages_text(pdf_of(factsheets["published"])))
    assert "Chart: " in text and "13\u202f871" in text.split("Chart: ", 1)[1]


def test_files_of_the_same_version_are_rendered_the_same_twice(factsheets):
    published = factsheets["published"]
    first = render_files(published.figures, meta_of(published))
    second = render_files(published.figures, meta_of(published))
    for kind in (FileKind.HTML, FileKind.PDF, FileKind.CSV):  # (an XLSX zip dates its members)
        assert first[kind] == second[kind], kind
    assert first[FileKind.PDF] == stored(published, FileKind.PDF)


# --- charts -------------------------------------------------------------------------------


def svg_texts(svg: str) -> list[str]:
    """The visible text of an SVG (matplotlib writes text as <text> elements, svg.fonttype none)."""
    return [re.sub(r"<[^>]+>", "", text) for text in re.findall(r"<text[^>]*>.*?</text>", svg, re.S)]


def test_charts_label_their_bars_separate_thousands_and_name_priorities(factsheets):
    figures = factsheets["published"].figures
    charts = render_charts(figures)
    comparison = svg_texts(charts["vs_previous"]["svg"])
    assert "13\u202f871" in comparison and "9\u202f922" in comparison  # value labels on the bars
    assert any(re.fullmatch(r"\d{1,3}(\u202f\d{3})+", text) for text in comparison)  # axis ticks
    by_priority = " ".join(svg_texts(charts["by_priority"]["svg"]))
    for priority in figures["by_priority"]:
        assert priority["name"].split()[0] in by_priority  # names (wrapped), not only codes
    arrests = [p["arrests"] for p in figures["by_priority"] if p["arrests"]]
    assert f"{max(arrests):,}".replace(",", "\u202f") in by_priority


def test_charts_have_no_title_of_their_own_and_no_timestamp(factsheets):
    charts = render_charts(factsheets["published"].figures)
    for chart in charts.values():
        texts = svg_texts(chart["svg"])
        assert not [t for t in texts if "against" in t or "Results by" in t]
        assert "<dc:date>" not in chart["svg"]
        assert chart["alt"]


def test_the_html_page_shows_each_chart_title_once_and_its_alternative_text(client, factsheets):
    client.force_login(User.objects.get(username="de.coordinator"))
    html = client.get("/reports/factsheets/2023/").content.decode()
    assert html.count("2023 against 2022") == 1
    assert html.count("Results by priority") == 1
    charts = render_charts(factsheets["published"].figures)
    for chart_id in ("chart-vs-previous", "chart-by-priority"):
        figure = re.search(rf'<figure[^>]*id="{chart_id}".*?</figure>', html, re.S).group(0)
        label = re.search(r'<svg[^>]*role="img"[^>]*aria-label="([^"]+)"', figure)
        assert label, figure[:300]
    assert charts["vs_previous"]["alt"].split(":")[0] in html


# --- figures XLSX -------------------------------------------------------------------------


def test_the_figures_xlsx_has_widths_a_frozen_header_and_percentages(factsheets):
    published = factsheets["published"]
    book = load_workbook(io.BytesIO(stored(published, FileKind.XLSX)))
    for sheet in book.worksheets:
        assert sheet.freeze_panes == "A2", sheet.title
        assert all(sheet.column_dimensions[c].width > 8 for c in ("A", "B")), sheet.title
    headline = book["Headline"]
    header = [cell.value for cell in headline[1]]
    change = header.index("change_vs_previous") + 1
    rows = {row[0].value: row for row in headline.iter_rows(min_row=2)}
    arrests = rows["arrests"]
    assert arrests[2].value == 13871
    assert arrests[change - 1].value == pytest.approx(13871 / 9922 - 1, abs=1e-3)
    assert arrests[change - 1].number_format == "0.0%"
    created = book.properties.created
    assert created.year != 2000
    assert abs(created.date() - timezone.now().date()) <= datetime.timedelta(days=1)
