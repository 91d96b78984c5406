"""Shared pieces of the renderers: the version's facts and number formatting."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

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


@dataclass(frozen=True)
class FactsheetMeta:
    year: int
    scope: str
    version: int
    checksum: str
    compiled_at: datetime.datetime | None = None

    @property
    def title(self) -> str:
        return f"EMPACT results {self.year}"

    @property
    def subtitle(self) -> str:
        return f"{self.scope} · version {self.version}"


def meta_of(factsheet) -> FactsheetMeta:
    return FactsheetMeta(
        year=factsheet.year,
        scope=factsheet.scope_label,
        version=factsheet.version,
        checksum=factsheet.checksum,
        compiled_at=factsheet.compiled_at,
    )


def fmt_number(value) -> str:
    """1 234 567 (thin spaces between thousands, as the published factsheets), or – for none."""
    if value is None:
        return "–"
    text = f"{value:,.1f}" if isinstance(value, float) and not value.is_integer() else f"{int(value):,}"
    return text.replace(",", "\u202f")


def fmt_change(value) -> str:
    if value is None:
        return "–"
    return f"{value * 100:+.1f} %"


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
            "value_text": fmt_number(headline.get(key)),
            "previous_text": fmt_number(previous.get(key) if previous else None),
            "change_text": fmt_change(change.get(key)),
        }
        for key in HEADLINE_KEYS
    ]


def breakdown_header() -> list[str]:
    return [SHORT_LABELS[key] for key in BREAKDOWN_KEYS]


def breakdown_values(item: dict) -> list:
    return [item.get(key) for key in BREAKDOWN_KEYS]
