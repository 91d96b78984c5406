"""Shared pieces of the renderers: the version's facts and the document's sections.

The HTML page and the PDF show the same sections (`sections`), in the same order, with the same
numbers, each formatted once by `oap.formats` (thousands separated by U+202F).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from oap.formats import number, percent

from ..choices import FactsheetStatus
from ..compile import BREAKDOWN_KEYS, HEADLINE_KEYS, HEADLINE_LABELS

SHORT_LABELS = {
    "arrests": "Arrests",
    "migrant_smugglers_arrested": "Migrant smugglers",
    "victims_identified": "Victims",
    "investigations_initiated": "Investigations",
    "assets_seized_eur": "Assets (EUR)",
    "drugs_seized_kg": "Drugs (kg)",
    "operational_actions": "Actions",
    "countries": "Countries",
}
AUTHOR = "EMPACT Tracker"


@dataclass(frozen=True)
class FactsheetMeta:
    year: int
    scope: str
    version: int
    checksum: str
    compiled_at: datetime.datetime | None = None
    #: set once the version is published (frozen); None while it is open
    published_at: datetime.datetime | None = None

    @property
    def title(self) -> str:
        return f"EMPACT results {self.year}"

    @property
    def subtitle(self) -> str:
        return f"{self.scope} · version {self.version}"

    @property
    def published(self) -> bool:
        return self.published_at is not None

    @property
    def watermark(self) -> str:
        """What stands across every page of a version that is not published (empty once it is)."""
        return "" if self.published else f"Not published — version {self.version}"


def meta_of(factsheet) -> FactsheetMeta:
    return FactsheetMeta(
        year=factsheet.year,
        scope=factsheet.scope_label,
        version=factsheet.version,
        checksum=factsheet.checksum,
        compiled_at=factsheet.compiled_at,
        published_at=factsheet.published_at if factsheet.status == FactsheetStatus.PUBLISHED else None,
    )


@dataclass
class Table:
    """A table of text cells; the first column names the row, the others are numbers."""

    header: list[str]
    rows: list[list[str]]
    #: how each row is named on narrow screens, column by column (defaults to the header)
    labels: list[str] = field(default_factory=list)
    #: how many columns from the left hold text (the rest hold numbers, aligned right)
    text_columns: int = 1


@dataclass
class Section:
    id: str
    title: str
    table: Table | None = None
    #: the name of a chart of `reporting.render.charts.CHARTS` shown before the table
    chart: str | None = None


def headline_rows(figures: dict) -> list[dict]:
    """One row per headline counter: key, label, value, previous, change (raw and formatted)."""
    headline = figures.get("headline") or {}
    previous = figures.get("previous") or {}
    change = figures.get("change_vs_previous") or {}
    return [
        {
            "key": key,
            "label": HEADLINE_LABELS[key],
            "value": headline.get(key),
            "previous": previous.get(key) if previous else None,
            "change": change.get(key),
            "value_text": number(headline.get(key)),
            "previous_text": number(previous.get(key) if previous else None),
            "change_text": percent(change.get(key)),
        }
        for key in HEADLINE_KEYS
    ]


def _breakdown(items: list[dict], first: str, describe) -> Table:
    return Table(
        header=[first, *[SHORT_LABELS[key] for key in BREAKDOWN_KEYS]],
        rows=[[describe(item), *[number(item.get(key)) for key in BREAKDOWN_KEYS]] for item in items],
    )


def _participation(rows: list[dict]) -> Table:
    kinds = {"third_country": "third country", "member_state": "Member State"}
    return Table(
        header=["Country", "", "Actions", "Led", "Co-led", "Results reported", "Arrests"],
        labels=["Country", "Kind", "Actions", "Led", "Co-led", "Results reported", "Arrests"],
        text_columns=2,
        rows=[
            [
                f"{row['name']} ({row['code']})",
                kinds.get(row["kind"], row["kind"]),
                number(row["actions"]),
                number(row["led"]),
                number(row["co_led"]),
                number(row["entries"]),
                number(row.get("arrests")),
            ]
            for row in rows
        ],
    )


def sections(figures: dict) -> list[Section]:
    """The factsheet's sections after its title, in order (the HTML page and the PDF show these)."""
    year, previous_year = figures.get("year"), figures.get("previous_year")
    headline = Table(
        header=["", str(year), str(previous_year), "Change"],
        labels=["", str(year), str(previous_year), "Change"],
        rows=[
            [r["label"], r["value_text"], r["previous_text"], r["change_text"]]
            for r in headline_rows(figures)
        ],
    )
    return [
        Section("headline", "Headline figures", table=headline),
        Section("vs-previous", f"{year} against {previous_year}", chart="vs_previous"),
        Section(
            "by-priority",
            "Results by priority",
            chart="by_priority",
            table=_breakdown(
                figures.get("by_priority") or [], "Priority", lambda p: f"{p['number']}. {p['name']}"
            ),
        ),
        Section(
            "by-plan",
            "Results by operational action plan",
            table=_breakdown(figures.get("by_plan") or [], "Plan", lambda p: f"{p['code']} — {p['name']}"),
        ),
        Section(
            "participation",
            "Participation by country",
            table=_participation(figures.get("participation") or []),
        ),
    ]


def footnote(figures: dict) -> str:
    return (
        f"Compiled from {number(figures.get('entries', 0))} validated result entries of {figures.get('year')}. "
        "Operational actions: those with validated results in the year; countries: Member States and "
        "third countries taking part in them."
    )
