"""CSV and XLSX: the factsheet's figures, and the validated entries a requester may see."""

from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Iterable, Iterator

from openpyxl import Workbook

from ..compile import BREAKDOWN_KEYS, HEADLINE_KEYS, HEADLINE_LABELS

#: A fixed creation date in the XLSX properties keeps the content reproducible.
XLSX_DATE = datetime.datetime(2000, 1, 1)


def figure_rows(figures: dict) -> Iterator[list]:
    """The figures in long form: section, code, name, metric, value (one header row first)."""
    yield ["section", "code", "name", "metric", "value"]
    year, previous_year = figures.get("year"), figures.get("previous_year")
    headline = figures.get("headline") or {}
    previous = figures.get("previous") or {}
    change = figures.get("change_vs_previous") or {}
    for key in HEADLINE_KEYS:
        yield ["headline", key, HEADLINE_LABELS[key], str(year), headline.get(key)]
        yield [
            "headline",
            key,
            HEADLINE_LABELS[key],
            str(previous_year),
            previous.get(key) if previous else None,
        ]
        yield ["headline", key, HEADLINE_LABELS[key], "change_vs_previous", change.get(key)]
    for section, items in (("by_priority", figures.get("by_priority")), ("by_plan", figures.get("by_plan"))):
        for item in items or []:
            for key in BREAKDOWN_KEYS:
                yield [section, item["code"], item["name"], key, item.get(key)]
    for item in figures.get("participation") or []:
        for key in ("actions", "led", "co_led", "entries", "arrests"):
            yield ["participation", item["code"], item["name"], key, item.get(key)]
    for item in figures.get("counters") or []:
        yield ["counters", item["code"], item["name"], item["unit"], item.get("value")]


def _csv_text(rows: Iterable[list]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerows(["" if value is None else value for value in row] for row in rows)
    return buffer.getvalue()


def figures_csv(figures: dict) -> bytes:
    return _csv_text(figure_rows(figures)).encode("utf-8")


def _sheet(workbook: Workbook, title: str, header: list[str], rows: Iterable[list]) -> None:
    sheet = workbook.create_sheet(title)
    sheet.append(header)
    for row in rows:
        sheet.append(row)


def figures_xlsx(figures: dict) -> bytes:
    workbook = Workbook(write_only=True)
    workbook.properties.created = workbook.properties.modified = XLSX_DATE
    headline = figures.get("headline") or {}
    previous = figures.get("previous") or {}
    change = figures.get("change_vs_previous") or {}
    _sheet(
        workbook,
        "Headline",
        [
            "counter",
            "label",
            str(figures.get("year")),
            str(figures.get("previous_year")),
            "change_vs_previous",
        ],
        (
            [
                key,
                HEADLINE_LABELS[key],
                headline.get(key),
                previous.get(key) if previous else None,
                change.get(key),
            ]
            for key in HEADLINE_KEYS
        ),
    )
    _sheet(
        workbook,
        "By priority",
        ["code", "number", "name", *BREAKDOWN_KEYS],
        (
            [p["code"], p["number"], p["name"], *[p.get(k) for k in BREAKDOWN_KEYS]]
            for p in figures.get("by_priority") or []
        ),
    )
    _sheet(
        workbook,
        "By plan",
        ["code", "name", "priority", *BREAKDOWN_KEYS],
        (
            [p["code"], p["name"], p["priority"], *[p.get(k) for k in BREAKDOWN_KEYS]]
            for p in figures.get("by_plan") or []
        ),
    )
    _sheet(
        workbook,
        "Participation",
        ["code", "name", "kind", "actions", "led", "co_led", "entries", "arrests"],
        (
            [c["code"], c["name"], c["kind"], c["actions"], c["led"], c["co_led"], c["entries"], c["arrests"]]
            for c in figures.get("participation") or []
        ),
    )
    _sheet(
        workbook,
        "Counters",
        ["code", "name", "unit", "category", str(figures.get("year")), str(figures.get("previous_year"))],
        (
            [c["code"], c["name"], c["unit"], c["category"], c["value"], c["previous"]]
            for c in figures.get("counters") or []
        ),
    )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# --- entries ------------------------------------------------------------------------------

ENTRY_HEADER = [
    "year",
    "half_year",
    "priority",
    "plan",
    "action",
    "action_title",
    "organisation",
    "organisation_name",
    "result_type",
    "result_name",
    "unit",
    "value",
    "status",
    "validated_at",
]
#: Rows fetched from the database per round trip while streaming an export: 2000 entries cost
#: about 1 MB of Python objects, whatever the export's size.
ENTRY_CHUNK = 2000


def entry_rows(entries) -> Iterator[list]:
    """Header, then one row per entry of the queryset (already narrowed to what the user sees)."""
    yield ENTRY_HEADER
    values = entries.values_list(
        "year",
        "half_year",
        "action__plan__priority__code",
        "action__plan__code",
        "action__code",
        "action__title",
        "organisation__code",
        "organisation__name",
        "result_type__code",
        "result_type__name",
        "result_type__unit",
        "value",
        "status",
        "validated_at",
    )
    for row in values.iterator(chunk_size=ENTRY_CHUNK):
        row = list(row)
        row[11] = row[11].normalize() if row[11] is not None else None
        if row[13] is not None:
            row[13] = row[13].isoformat()
        yield row


class _Echo:
    def write(self, value):
        return value


def entries_csv_stream(entries) -> Iterator[str]:
    """CSV lines, one at a time (for a StreamingHttpResponse)."""
    writer = csv.writer(_Echo(), lineterminator="\n")
    for row in entry_rows(entries):
        yield writer.writerow(["" if value is None else value for value in row])


def entries_xlsx(entries) -> bytes:
    workbook = Workbook(write_only=True)
    workbook.properties.created = workbook.properties.modified = XLSX_DATE
    sheet = workbook.create_sheet("Validated entries")
    for index, row in enumerate(entry_rows(entries)):
        if index:
            row[11] = float(row[11]) if row[11] is not None else None
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
