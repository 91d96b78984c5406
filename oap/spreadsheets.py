"""Spreadsheets in and out: read result rows from CSV/XLSX, write querysets as CSV/XLSX.

Imports use codes, never ids (action `DRUGS-CCH 1.1`, organisation `ES`, result type `arrests`),
with the columns of `IMPORT_COLUMNS`; the row numbers reported are the spreadsheet's own (the
header is row 1). Exports stream what the caller's visible, filtered queryset holds.
"""

from __future__ import annotations

import csv
import io
import zipfile
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from .export import Sheet, write_csv, write_xlsx

IMPORT_COLUMNS = ["action", "organisation", "result_type", "year", "half_year", "value", "comment"]
REQUIRED_COLUMNS = ["action", "organisation", "result_type", "year", "value"]
COLUMN_HELP = {
    "action": "the operational action's code, as the list of operational actions shows it",
    "organisation": "your organisation's code, e.g. ES",
    "result_type": "the counter's code, e.g. arrests, cocaine_kg",
    "year": "the reporting year, e.g. 2024",
    "half_year": "1 or 2 for a half-year, empty for the whole year",
    "value": "a number, 0 or more (kg and EUR may have decimals)",
    "comment": "optional",
}

#: how the CSV template's example row begins (its action cell): such a row is refused, never imported
EXAMPLE_MARK = "example:"

#: an XLSX file may unpack to at most this (a 50 000-row results file unpacks to about 20 MB): the
#: declared sizes are checked before anything is read, the real ones while unpacking
MAX_UNPACKED_BYTES = 64 * 1024 * 1024
#: parts of an XLSX archive (a workbook of one sheet has about ten)
MAX_MEMBERS = 200
#: cells read per row: the import has 7 columns; anything further right is never read
MAX_COLUMNS = 32
#: cells read per data row allowed by the row limit (blank rows read count too)
CELLS_PER_ROW = 2 * len(IMPORT_COLUMNS)


class SpreadsheetError(ValueError):
    """The file cannot be read as a results spreadsheet (format, header, size)."""


@dataclass
class ParsedSheet:
    rows: list[dict]
    #: the spreadsheet row number of each parsed row (header = 1)
    row_numbers: list[int]


def _cell(value):
    if value is None:
        return ""
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return str(Decimal(repr(value)))
    return str(value).strip()


def _header_names(header: list) -> list[str]:
    names = [_cell(name).lower().replace(" ", "_") for name in header]
    missing = [column for column in REQUIRED_COLUMNS if column not in names]
    if missing:
        raise SpreadsheetError(
            f"The header row lacks the column(s) {', '.join(missing)}; expected: {', '.join(IMPORT_COLUMNS)}."
        )
    unknown = [name for name in names if name and name not in IMPORT_COLUMNS]
    if unknown:
        raise SpreadsheetError(
            f"Unknown column(s) {', '.join(unknown)}; the columns are: {', '.join(IMPORT_COLUMNS)}."
        )
    return names


def _rows_from_table(header: list, body: Iterable[tuple[int, list]], max_rows: int | None) -> ParsedSheet:
    """The non-blank rows under `header`; reading stops as soon as a limit is passed."""
    names = _header_names(header)
    rows, numbers = [], []
    most_cells = None if max_rows is None else (max_rows + 1) * CELLS_PER_ROW
    cells_read = 0
    for number, cells in body:
        if len(cells) > MAX_COLUMNS and any(cell not in (None, "") for cell in cells[MAX_COLUMNS:]):
            raise SpreadsheetError(
                f"Row {number} has {len(cells)} cells; a results row has the {len(IMPORT_COLUMNS)} columns "
                f"{', '.join(IMPORT_COLUMNS)}."
            )
        cells_read += max(len(cells), 1)
        if most_cells is not None and cells_read > most_cells:
            raise SpreadsheetError(
                f"The file holds more than {most_cells} cells (blank rows included) by row {number}, more than "
                f"{max_rows} rows need: remove the empty rows, or split the file."
            )
        values = [_cell(cell) for cell in cells]
        if not any(values):
            continue  # blank lines are not rows
        row = {name: (values[i] if i < len(values) else "") for i, name in enumerate(names) if name}
        if row.get("action", "").lower().startswith(EXAMPLE_MARK):
            raise SpreadsheetError(
                f"Row {number} is the template's example (its action begins with “{EXAMPLE_MARK}”): "
                "replace it with your own figures or delete it. Nothing was imported."
            )
        if max_rows is not None and len(rows) == max_rows:
            raise SpreadsheetError(f"At most {max_rows} rows per file; this one has more. Split it.")
        rows.append(row)
        numbers.append(number)
    return ParsedSheet(rows=rows, row_numbers=numbers)


def _too_big(filename: str) -> SpreadsheetError:
    return SpreadsheetError(
        f"{filename} unpacks to more than {MAX_UNPACKED_BYTES // (1024 * 1024)} MB, more than any results "
        "file of the allowed rows needs: save it again without extra sheets, images or formatting, or split it."
    )


def check_archive(data: bytes, filename: str) -> None:
    """Refuse an XLSX whose parts unpack beyond MAX_UNPACKED_BYTES — declared or real — before reading it.

    A zip bomb (a small file unpacking to hundreds of megabytes) is answered in a fraction of a
    second instead of being parsed; a part that unpacks to more than its header says is refused too.
    """
    unreadable = SpreadsheetError(f"{filename} is not a readable XLSX workbook.")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as error:
        raise unreadable from error
    if len(members) > MAX_MEMBERS:
        raise SpreadsheetError(
            f"{filename} has {len(members)} parts; a results workbook has a few dozen at most."
        )
    if sum(member.file_size for member in members) > MAX_UNPACKED_BYTES:
        raise _too_big(filename)
    left = MAX_UNPACKED_BYTES
    try:
        for member in members:
            with archive.open(member) as part:
                while chunk := part.read(1024 * 1024):
                    left -= len(chunk)
                    if left < 0:
                        raise _too_big(filename)
    except (zipfile.BadZipFile, zlib.error, NotImplementedError, EOFError, OSError) as error:
        raise unreadable from error  # a damaged part, or one larger than its header says (CRC)


def _xlsx_lines(data: bytes, filename: str):
    """(header, numbered rows) of the first sheet, read as a stream (openpyxl's read-only mode)."""
    from openpyxl import load_workbook

    check_archive(data, filename)
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        sheet = book.worksheets[0]
        header = next(sheet.iter_rows(max_row=1, max_col=MAX_COLUMNS, values_only=True), None)
    except Exception as error:  # openpyxl raises many kinds for a bad file
        raise SpreadsheetError(f"{filename} is not a readable XLSX workbook.") from error
    if header is None:
        raise SpreadsheetError(f"{filename} is empty.")
    header = list(header)
    while header and header[-1] in (None, ""):
        header.pop()
    width = max(len(header), len(IMPORT_COLUMNS))
    body = (
        (number, list(line))
        for number, line in enumerate(sheet.iter_rows(min_row=2, max_col=width, values_only=True), start=2)
    )
    return book, header, body


def read_results(data: bytes, filename: str, *, max_rows: int | None = None) -> ParsedSheet:
    """Rows of a CSV (UTF-8, comma or semicolon) or XLSX results file.

    With `max_rows`, reading stops at the first row past the limit (or past the cells it allows)
    with a SpreadsheetError: a huge file costs no more than a file of the allowed size.
    """
    name = filename.lower()
    if name.endswith(".xlsx"):
        book, header, body = _xlsx_lines(data, filename)
        try:
            return _rows_from_table(header, body, max_rows)
        except SpreadsheetError:
            raise
        except Exception as error:  # a part openpyxl cannot parse, met while streaming
            raise SpreadsheetError(f"{filename} is not a readable XLSX workbook.") from error
        finally:
            book.close()
    if name.endswith(".csv"):
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise SpreadsheetError(f"{filename} is not UTF-8 text; save the CSV as UTF-8.") from error
        first = text.split("\n", 1)[0]
        reader = csv.reader(io.StringIO(text), delimiter=";" if first.count(";") > first.count(",") else ",")
        try:
            header = next(reader)
        except StopIteration as error:
            raise SpreadsheetError(f"{filename} is empty.") from error
        except csv.Error as error:
            raise SpreadsheetError(f"{filename} is not a readable CSV file: {error}.") from error
        try:
            return _rows_from_table(header, ((reader.line_num, line) for line in reader), max_rows)
        except csv.Error as error:
            raise SpreadsheetError(f"{filename} is not a readable CSV file: {error}.") from error
    raise SpreadsheetError("Upload a .csv or .xlsx file.")


# --- writing ------------------------------------------------------------------------------


#: rows of the XLSX template's first sheet that carry the drop-down lists and number rules
TEMPLATE_ROWS = 5000


@dataclass
class TemplateCodes:
    """What the template's drop-down lists offer: (code, name) pairs the user may use."""

    actions: list[tuple[str, str]]
    organisations: list[tuple[str, str]]
    counters: list[tuple[str, str, str]]  # code, name, unit
    years: tuple[int, int]


def import_template(kind: str, example: list | None = None, codes: TemplateCodes | None = None) -> bytes:
    """A results file to fill in.

    XLSX: the first sheet (the only one imported) has the columns and no rows, with drop-down lists
    of the codes the user may use and number rules (data validation); the codes and an example row
    (numbers as numbers) sit on sheets of their own, which are never read. CSV: the columns and an
    example row marked with EXAMPLE_MARK, which the import refuses (so it never imports as is).
    """
    example = list(example or ["<action code>", "<your organisation's code>", "arrests", 2024, "", 12, ""])
    if kind != "xlsx":
        return write_csv(IMPORT_COLUMNS, [[f"{EXAMPLE_MARK} {example[0]}", *example[1:]]])
    codes = codes or TemplateCodes([], [], [], (2014, 2099))
    sheets = [
        Sheet(
            title="Results",
            header=IMPORT_COLUMNS,
            rows=[],
            widths=[22, 14, 24, 8, 10, 14, 40],
            validations=_validations(codes),
        ),
        Sheet(
            title="Example",
            header=IMPORT_COLUMNS,
            rows=[
                example,
                [],
                ["This sheet is never imported: only the first sheet, Results, is read. Copy the row there."],
            ],
        ),
        Sheet(title="Actions", header=["action", "title"], rows=codes.actions),
        Sheet(title="Organisations", header=["organisation", "name"], rows=codes.organisations),
        Sheet(title="Counters", header=["result_type", "name", "unit"], rows=codes.counters),
    ]
    return write_xlsx(*sheets)


def _validations(codes: TemplateCodes) -> list:
    """The first sheet's rules, one per column: lists of valid codes, whole years, 1 or 2, values >= 0."""
    from openpyxl.worksheet.datavalidation import DataValidation

    def listed(sheet: str, count: int, column: str, what: str):
        return DataValidation(
            type="list",
            formula1=f"{sheet}!$A$2:$A${max(count, 1) + 1}",
            allow_blank=True,
            showErrorMessage=True,
            errorTitle=f"Not a {what}",
            error=f"Choose a {what} from the list (the sheet {sheet} names them).",
            sqref=f"{column}2:{column}{TEMPLATE_ROWS + 1}",
        )

    first, last = codes.years
    rules = [
        listed("Actions", len(codes.actions), "A", "code of an action you report for"),
        listed("Organisations", len(codes.organisations), "B", "code of your organisation"),
        listed("Counters", len(codes.counters), "C", "counter code"),
        DataValidation(
            type="whole",
            operator="between",
            formula1=str(first),
            formula2=str(last),
            showErrorMessage=True,
            errorTitle="Not a year",
            error=f"Give a year from {first} to {last}.",
            sqref=f"D2:D{TEMPLATE_ROWS + 1}",
        ),
        DataValidation(
            type="list",
            formula1='"1,2"',
            allow_blank=True,
            showErrorMessage=True,
            errorTitle="Not a half-year",
            error="1 or 2 for a half-year; leave it empty for the whole year.",
            sqref=f"E2:E{TEMPLATE_ROWS + 1}",
        ),
        DataValidation(
            type="decimal",
            operator="greaterThanOrEqual",
            formula1="0",
            showErrorMessage=True,
            errorTitle="Not a figure",
            error="Give a number, 0 or more (counts are whole numbers).",
            sqref=f"F2:F{TEMPLATE_ROWS + 1}",
        ),
    ]
    return rules


RESULT_EXPORT_COLUMNS = [
    "id",
    "action",
    "action_title",
    "plan",
    "organisation",
    "result_type",
    "unit",
    "year",
    "half_year",
    "value",
    "status",
    "updated_at",
]


def result_export_rows(queryset) -> Iterable[list]:
    """One row per entry of `queryset` (already restricted to what the requester may see)."""
    values = queryset.values_list(
        "pk",
        "action__code",
        "action__title",
        "action__plan__code",
        "organisation__code",
        "result_type__code",
        "result_type__unit",
        "year",
        "half_year",
        "value",
        "status",
        "updated_at",
    ).order_by("year", "action__code", "organisation__code", "result_type__code", "pk")
    for row in values.iterator(chunk_size=5000):
        row = list(row)
        row[-1] = row[-1].isoformat()
        row[-3] = row[-3].normalize() if isinstance(row[-3], Decimal) else row[-3]
        row[8] = "" if row[8] is None else row[8]
        yield row


ACTION_EXPORT_COLUMNS = [
    "id",
    "code",
    "title",
    "plan",
    "priority",
    "status",
    "handling",
    "start",
    "end",
    "leader",
]


def action_export_rows(queryset) -> Iterable[list]:
    from django.db.models import OuterRef, Subquery

    from .models import Participation

    leader = Participation.objects.filter(action=OuterRef("pk"), role="leader").values("organisation__code")[
        :1
    ]
    values = (
        queryset.annotate(_leader=Subquery(leader))
        .values_list(
            "pk",
            "code",
            "title",
            "plan__code",
            "plan__priority__code",
            "status",
            "handling",
            "start",
            "end",
            "_leader",
        )
        .order_by("code", "pk")
    )
    for row in values.iterator(chunk_size=2000):
        row = list(row)
        row[7] = row[7].isoformat() if row[7] else ""
        row[8] = row[8].isoformat() if row[8] else ""
        yield row
