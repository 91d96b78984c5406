"""Spreadsheets in and out: read result rows from CSV/XLSX, write querysets as CSV/XLSX.

Imports use codes, never ids (action `DRUGS-CCH 1.1`, organisation `ES`, result type `arrests`),
with the columns of `IMPORT_COLUMNS`; the row numbers reported are the spreadsheet's own (the
header is row 1). Exports stream what the caller's visible, filtered queryset holds.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from .export import Sheet, write_csv, write_xlsx

IMPORT_COLUMNS = ["action", "organisation", "result_type", "year", "half_year", "value", "comment"]
REQUIRED_COLUMNS = ["action", "organisation", "result_type", "year", "value"]
COLUMN_HELP = {
    "action": "the operational action's code, e.g. DRUGS-CCH 1.1",
    "organisation": "your organisation's code, e.g. ES",
    "result_type": "the counter's code, e.g. arrests, cocaine_kg",
    "year": "the reporting year, e.g. 2024",
    "half_year": "1 or 2 for a half-year, empty for the whole year",
    "value": "a number, 0 or more (kg and EUR may have decimals)",
    "comment": "optional",
}


class SpreadsheetError(ValueError):
    """The file cannot be read as a results spreadsheet (format, header)."""


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


def _rows_from_table(header: list, body: Iterable[tuple[int, list]]) -> ParsedSheet:
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
    rows, numbers = [], []
    for number, cells in body:
        values = [_cell(cell) for cell in cells]
        if not any(values):
            continue  # blank lines are not rows
        row = {name: (values[i] if i < len(values) else "") for i, name in enumerate(names) if name}
        rows.append(row)
        numbers.append(number)
    return ParsedSheet(rows=rows, row_numbers=numbers)


def read_results(data: bytes, filename: str) -> ParsedSheet:
    """Rows of a CSV (UTF-8, comma or semicolon) or XLSX results file."""
    name = filename.lower()
    if name.endswith(".xlsx"):
        from openpyxl import load_workbook

        try:
            book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception as error:  # openpyxl raises many kinds for a bad file
            raise SpreadsheetError(f"{filename} is not a readable XLSX workbook.") from error
        sheet = book.worksheets[0]
        lines = sheet.iter_rows(values_only=True)
        try:
            header = list(next(lines))
        except StopIteration as error:
            raise SpreadsheetError(f"{filename} is empty.") from error
        parsed = _rows_from_table(header, ((i, list(line)) for i, line in enumerate(lines, start=2)))
        book.close()
        return parsed
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
        return _rows_from_table(header, ((reader.line_num, line) for line in reader))
    raise SpreadsheetError("Upload a .csv or .xlsx file.")


# --- writing ------------------------------------------------------------------------------


def import_template(kind: str) -> bytes:
    """An empty results file with the right columns and one example row."""
    example = ["DRUGS-CCH 1.1", "ES", "arrests", "2024", "", "12", "JAD week 12"]
    if kind == "xlsx":
        return write_xlsx(Sheet(title="Results", header=IMPORT_COLUMNS, rows=[example]))
    return write_csv(IMPORT_COLUMNS, [example])


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
