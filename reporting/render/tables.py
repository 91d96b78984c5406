"""CSV and XLSX: the factsheet's figures, and the validated entries a requester may see.

Written by the one export helper (`oap.export`): numbers as numbers, text never run as a
formula, XLSX with column widths and a frozen header. Only the rows and the sheets' shapes are
decided here.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator

from oap.export import Sheet, write_csv, write_xlsx

from ..compile import BREAKDOWN_KEYS, HEADLINE_KEYS, HEADLINE_LABELS

FIGURE_HEADER = ["section", "code", "name", "metric", "value"]
PERCENT = "0.0%"


def figure_rows(figures: dict) -> Iterator[list]:
    """The figures in long form: section, code, name, metric, value (under `FIGURE_HEADER`)."""
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


def figures_csv(figures: dict) -> bytes:
    return write_csv(FIGURE_HEADER, figure_rows(figures))


PARTICIPATION_COLUMNS = ["code", "name", "kind", "actions", "led", "co_led", "entries", "arrests"]


def _headline_sheet(figures: dict) -> Sheet:
    year, previous_year = str(figures.get("year")), str(figures.get("previous_year"))
    headline = figures.get("headline") or {}
    previous = figures.get("previous") or {}
    change = figures.get("change_vs_previous") or {}
    return Sheet(
        "Headline",
        ["counter", "label", year, previous_year, "change_vs_previous"],
        [
            [
                key,
                HEADLINE_LABELS[key],
                headline.get(key),
                previous.get(key) if previous else None,
                change.get(key),
            ]
            for key in HEADLINE_KEYS
        ],
        widths=[28, 34, 14, 14, 20],
        formats={4: PERCENT},
    )


def figures_xlsx(figures: dict, *, created: datetime.datetime | None = None) -> bytes:
    """One sheet per part of the factsheet; `created` is the workbook's creation date."""
    year, previous_year = str(figures.get("year")), str(figures.get("previous_year"))
    breakdown_widths = [len(key) + 2 for key in BREAKDOWN_KEYS]
    sheets = [
        _headline_sheet(figures),
        Sheet(
            "By priority",
            ["code", "number", "name", *BREAKDOWN_KEYS],
            [
                [p["code"], p["number"], p["name"], *[p.get(k) for k in BREAKDOWN_KEYS]]
                for p in figures.get("by_priority") or []
            ],
            widths=[12, 9, 44, *breakdown_widths],
        ),
        Sheet(
            "By plan",
            ["code", "name", "priority", *BREAKDOWN_KEYS],
            [
                [p["code"], p["name"], p["priority"], *[p.get(k) for k in BREAKDOWN_KEYS]]
                for p in figures.get("by_plan") or []
            ],
            widths=[16, 44, 12, *breakdown_widths],
        ),
        Sheet(
            "Participation",
            PARTICIPATION_COLUMNS,
            [[c[key] for key in PARTICIPATION_COLUMNS] for c in figures.get("participation") or []],
            widths=[10, 30, 16, 10, 8, 8, 10, 10],
        ),
        Sheet(
            "Counters",
            ["code", "name", "unit", "category", year, previous_year],
            [
                [c["code"], c["name"], c["unit"], c["category"], c["value"], c["previous"]]
                for c in figures.get("counters") or []
            ],
            widths=[30, 40, 8, 14, 14, 14],
        ),
    ]
    return write_xlsx(*sheets, created=created)


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
ENTRY_WIDTHS = [6, 9, 10, 14, 16, 40, 12, 28, 28, 34, 8, 12, 10, 20]
#: Rows fetched from the database per round trip while streaming an export: 2000 entries cost
#: about 1 MB of Python objects, whatever the export's size.
ENTRY_CHUNK = 2000


def entry_rows(entries) -> Iterator[tuple]:
    """One row per entry of the queryset (already narrowed to what the user sees), under `ENTRY_HEADER`."""
    return entries.values_list(
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
    ).iterator(chunk_size=ENTRY_CHUNK)


def entries_sheet(entries) -> Sheet:
    return Sheet("Validated entries", ENTRY_HEADER, entry_rows(entries), widths=ENTRY_WIDTHS)
