"""The one export helper: every CSV and XLSX the service writes (admin, API, reports) goes through it.

- Text that a spreadsheet program would run as a formula — a cell beginning with `=`, `+`, `-`,
  `@`, a tab or a carriage return (OWASP's CSV injection rule) — is written with a leading
  apostrophe, so `=HYPERLINK(...)` in an action title stays text. In XLSX every text cell is
  also typed as text (never a formula), whatever it begins with.
- Numbers are numbers: plain decimal notation in CSV (`80`, never `8E+1`), numeric cells in XLSX.
- Dates and times are ISO 8601; None is an empty cell.
"""

from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.http import HttpResponse, StreamingHttpResponse
from django.utils import timezone

from .formats import plain

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
MAX_WIDTH = 60  # characters: longer text wraps to the column, it does not widen it


def safe_text(text: str) -> str:
    """Text a spreadsheet will show, never run: a leading apostrophe before a formula start."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, Decimal)):
        return plain(value)
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    return safe_text(str(value))


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_lines(header: Sequence[str], rows: Iterable[Iterable]) -> Iterator[str]:
    """The CSV text line by line (for streaming), with a BOM so spreadsheet programs read UTF-8."""
    writer = csv.writer(_Echo(), lineterminator="\r\n")
    yield "\ufeff" + writer.writerow([csv_cell(name) for name in header])
    for row in rows:
        yield writer.writerow([csv_cell(value) for value in row])


def write_csv(header: Sequence[str], rows: Iterable[Iterable]) -> bytes:
    return "".join(csv_lines(header, rows)).encode("utf-8")


@dataclass
class Sheet:
    """One XLSX worksheet: a bold, frozen header row, then the rows."""

    title: str
    header: Sequence[str]
    rows: Iterable[Sequence]
    #: characters per column; default: from the header and the rows (when they are a list)
    widths: Sequence[int] | None = None
    #: number formats by column index, e.g. {4: "0.0%"}; numbers default to thousands separated
    formats: dict[int, str] = field(default_factory=dict)
    #: openpyxl DataValidation objects (drop-down lists, number rules) of the sheet
    validations: Sequence = ()


def _widths(sheet: Sheet) -> list[int]:
    if sheet.widths is not None:
        return list(sheet.widths)
    widths = [len(str(name)) + 2 for name in sheet.header]
    if isinstance(sheet.rows, list):
        for row in sheet.rows[:500]:
            for index, value in enumerate(row):
                if index < len(widths) and value is not None:
                    widths[index] = max(widths[index], len(csv_cell(value)) + 2)
    return [min(width, MAX_WIDTH) for width in widths]


def _cell(worksheet, value, number_format: str | None):
    from openpyxl.cell import WriteOnlyCell

    if isinstance(value, Decimal):
        value = int(value) if value == value.to_integral_value() and abs(value) < 2**53 else float(value)
    elif isinstance(value, datetime.datetime):
        value = value.astimezone(datetime.UTC).replace(tzinfo=None) if value.tzinfo else value
    cell = WriteOnlyCell(worksheet, value=None)
    if isinstance(value, str):
        cell.value = value
        cell.data_type = "s"  # text, never a formula: openpyxl would make "=…" one
        if value.startswith(FORMULA_STARTS):
            cell.quotePrefix = True  # and Excel keeps it text when the cell is edited
    else:
        cell.value = value
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            cell.number_format = number_format or ("#,##0" if isinstance(value, int) else "#,##0.0##")
    return cell


def write_xlsx(*sheets: Sheet, created: datetime.datetime | None = None) -> bytes:
    """An XLSX workbook of `sheets`; `created` (default now) is its document creation date."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook(write_only=True)
    stamp = (created or timezone.now()).astimezone(datetime.UTC).replace(tzinfo=None)
    book.properties.created = book.properties.modified = stamp
    bold = Font(bold=True)
    for sheet in sheets:
        worksheet = book.create_sheet(title=sheet.title[:31])
        for index, width in enumerate(_widths(sheet), start=1):
            worksheet.column_dimensions[get_column_letter(index)].width = width
        worksheet.freeze_panes = "A2"
        for validation in sheet.validations:
            worksheet.data_validations.append(validation)
        header = [_cell(worksheet, str(name), None) for name in sheet.header]
        for cell in header:
            cell.font = bold
        worksheet.append(header)
        for row in sheet.rows:
            worksheet.append(
                [_cell(worksheet, value, sheet.formats.get(index)) for index, value in enumerate(row)]
            )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def filename(stem: str, kind: str) -> str:
    return f"{stem}-{timezone.localdate():%Y%m%d}.{kind}"


def download(kind: str, stem: str, header: Sequence[str], rows: Iterable[Iterable]) -> HttpResponse:
    """The rows as an attachment: CSV streamed, XLSX in one piece (its format needs the whole)."""
    if kind == "csv":
        response = StreamingHttpResponse(csv_lines(header, rows), content_type=CONTENT_TYPES["csv"])
    elif kind == "xlsx":
        content = write_xlsx(Sheet(title=stem, header=header, rows=list(rows)))
        response = HttpResponse(content, content_type=CONTENT_TYPES["xlsx"])
    else:
        raise ValueError(f"unknown export kind {kind!r}")
    response["Content-Disposition"] = f'attachment; filename="{filename(stem, kind)}"'
    return response
