"""Data → figures: the yearly factsheet's numbers, from the validated entries in one snapshot.

Every number comes from the **validated** result entries of the year (and of the previous
year, for the comparison), optionally narrowed to one priority, read by ONE SQL statement
(`reporting.compile_sql`): the aggregation runs in the database (GROUP BY), and one statement
sees one snapshot of the data whatever the isolation level or the surrounding transaction, so
the headline always equals the sum of its breakdowns even while entries are being validated or
returned (`sum_mismatches` checks it before a version is stored). Python only reshapes the
grouped rows (loops here run over groups, never over entries).

Definitions (what the factsheet's words mean):

- ``arrests``, ``migrant_smugglers_arrested`` ("of which", not added to arrests),
  ``victims_identified``, ``investigations_initiated``, ``assets_seized_eur``: the sum of the
  validated entries of that counter.
- ``drugs_seized_kg``: the sum of every counter of the *drugs* category, in kg (a counter kept
  in tonnes counts 1000 kg a tonne).
- ``operational_actions``: the operational actions with at least one validated result entry for
  the year — the actions that delivered reported results (planned or cancelled actions, and
  actions whose results are not yet validated, do not count).
- ``countries``: the distinct countries (Member States and third countries) taking part in
  those operational actions, whatever their role; EU agencies and international
  organisations are not countries.
- ``change_vs_previous``: per headline counter, (this year − previous year) / previous year,
  rounded to 4 decimals (0.398 is +39.8 %); None when the previous year has nothing.

An action's results count in the plan (and priority) the action belongs to now.

The checksum is a SHA-256 of the figures and of a fingerprint of the validated entries read by
the same statement, per year: how many, the sums of their ids and of their values, and their
latest `updated_at`. The same data always gives the same figures and checksum, and any change to
a validated entry — its value, its status, even only its `updated_at` — changes the checksum.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from oap.choices import ResultCategory, ResultUnit
from oap.formats import json_number
from oap.models import PriorityCrimeArea

from .compile_sql import fetch_rows

#: Bump when the figures' shape or meaning changes: old checksums then no longer match.
#: 3: one statement over the entries; the checksum digests the figures and the entries' fingerprint.
FIGURES_FORMAT = 3

COUNTERS = (
    "arrests",
    "migrant_smugglers_arrested",
    "victims_identified",
    "investigations_initiated",
    "assets_seized_eur",
)
HEADLINE_KEYS = (*COUNTERS, "drugs_seized_kg", "operational_actions", "countries")
HEADLINE_LABELS = {
    "arrests": "Arrests",
    "migrant_smugglers_arrested": "of which migrant smugglers",
    "victims_identified": "Victims of trafficking identified",
    "investigations_initiated": "Investigations initiated",
    "assets_seized_eur": "Cash and assets seized (EUR)",
    "drugs_seized_kg": "Drugs seized (kg)",
    "operational_actions": "Operational actions with results",
    "countries": "Countries involved",
}
#: Counters in the breakdowns by priority and by plan.
BREAKDOWN_KEYS = (*COUNTERS, "drugs_seized_kg", "operational_actions")
KG_PER_UNIT = {ResultUnit.KG: Decimal(1), ResultUnit.TONNES: Decimal(1000)}

#: The number of queries `compile_figures` makes, whatever the number of entries.
QUERY_COUNT = 1


@dataclass(frozen=True)
class Compiled:
    figures: dict
    checksum: str


def number(value) -> int | float:
    """A figure as the API's JSON number (`oap.formats.json_number`); nothing reported counts 0."""
    return json_number(value or 0)


def change(current, previous) -> float | None:
    """(current − previous) / previous, rounded to 4 decimals; None without a previous figure."""
    if previous in (None, 0):
        return None
    return float(round((Decimal(current or 0) - Decimal(previous)) / Decimal(previous), 4))


# --- the figures --------------------------------------------------------------------------------


def _kg(row) -> Decimal:
    return row["total"] * KG_PER_UNIT.get(row["unit"], Decimal(1))


def _totals(rows) -> dict[str, Decimal]:
    """Per headline counter (and drugs in kg): the sum of the counter rows given."""
    totals = {code: Decimal(0) for code in (*COUNTERS, "drugs_seized_kg")}
    for row in rows:
        if row["code"] in COUNTERS:
            totals[row["code"]] += row["total"]
        if row["category"] == ResultCategory.DRUGS:
            totals["drugs_seized_kg"] += _kg(row)
    return totals


def _breakdown(identity_rows: list[dict], key: str, counter_rows: list[dict], describe) -> list[dict]:
    by_key: dict[int, list[dict]] = defaultdict(list)
    for row in counter_rows:
        by_key[row[key]].append(row)
    result = []
    for row in identity_rows:
        item = describe(row)
        item.update({code: number(total) for code, total in _totals(by_key[row[key]]).items()})
        item["operational_actions"] = row["actions"]
        result.append(item)
    return result


def _shape(year: int, priority: PriorityCrimeArea | None, rows: dict[str, list[dict]]) -> dict:
    """The figures, from the grouped rows (loops here run over groups, never over entries)."""
    per_year = {row["year"]: row for row in rows["years"]}
    countries = sorted(rows["participation"], key=lambda row: row["code"])

    def headline_of(y) -> dict | None:
        if y not in per_year:
            return None
        totals = _totals(row for row in rows["counters"] if row["year"] == y)
        result = {code: number(total) for code, total in totals.items()}
        result["operational_actions"] = per_year[y]["actions"]
        key = "actions" if y == year else "previous_actions"
        result["countries"] = sum(1 for row in countries if row[key])
        return {key: result[key] for key in HEADLINE_KEYS}

    headline = headline_of(year) or dict.fromkeys(HEADLINE_KEYS, 0)
    previous = headline_of(year - 1)
    counters = sorted(rows["counters"], key=lambda row: (row["order"], row["code"]))
    return {
        "format": FIGURES_FORMAT,
        "year": year,
        "previous_year": year - 1,
        "scope": (
            {"kind": "priority", "code": priority.code, "name": priority.name}
            if priority is not None
            else {"kind": "eu", "code": "", "name": "EU-wide"}
        ),
        "entries": per_year[year]["entries"] if year in per_year else 0,
        "headline": headline,
        "previous": previous,
        "change_vs_previous": {
            key: change(headline[key], previous[key] if previous else None) for key in HEADLINE_KEYS
        },
        "by_priority": _breakdown(
            sorted(rows["priorities"], key=lambda row: (row["cycle"], row["number"])),
            "priority",
            rows["priority_counters"],
            lambda row: {key: row[key] for key in ("code", "number", "name", "cycle")},
        ),
        "by_plan": _breakdown(
            sorted(rows["plans"], key=lambda row: row["code"]),
            "plan",
            rows["plan_counters"],
            lambda row: {key: row[key] for key in ("code", "name", "priority")},
        ),
        "participation": _participation(countries, rows["reported"]),
        "counters": _counters(year, counters),
    }


def _participation(countries: list[dict], reported_rows: list[dict]) -> list[dict]:
    """The organisations taking part in the year's actions, with what they reported."""
    reported = {row["organisation"]: row for row in reported_rows}
    return [
        {
            **{key: row[key] for key in ("code", "name", "kind", "actions", "led", "co_led")},
            "entries": reported.get(row["organisation"], {}).get("entries", 0),
            "arrests": number(reported.get(row["organisation"], {}).get("arrests")),
        }
        for row in countries
        if row["actions"]
    ]


def _counters(year: int, counters: list[dict]) -> list[dict]:
    """Every counter's total of the year, beside the previous year's."""
    previous_totals = {row["code"]: row["total"] for row in counters if row["year"] == year - 1}
    return [
        {
            **{key: row[key] for key in ("code", "name", "unit", "category")},
            "value": number(row["total"]),
            "previous": number(previous_totals[row["code"]]) if row["code"] in previous_totals else None,
            "entries": row["entries"],
        }
        for row in counters
        if row["year"] == year
    ]


def _checksum(year: int, priority_id: int | None, figures: dict, years: list[dict]) -> str:
    """SHA-256 of the figures and of the fingerprint of the entries they were read from."""
    inputs = sorted(
        ({key: str(value) for key, value in row.items()} for row in years), key=lambda row: row["year"]
    )
    payload = {
        "format": FIGURES_FORMAT,
        "year": year,
        "priority": priority_id,
        "figures": figures,
        "inputs": inputs,
    }
    encoded = json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()
    return hashlib.sha256(encoded).hexdigest()


def figures_of(year: int, priority: PriorityCrimeArea | None, rows: dict[str, list[dict]]) -> Compiled:
    """The figures and the checksum made from the grouped rows (`fetch_rows`, or the tests' oracle's)."""
    figures = _shape(year, priority, rows)
    return Compiled(
        figures=figures, checksum=_checksum(year, getattr(priority, "pk", None), figures, rows["years"])
    )


def compile_figures(*, year: int, priority: PriorityCrimeArea | None = None) -> Compiled:
    """The factsheet figures of `year` (EU-wide, or for one priority) and their inputs' checksum."""
    return figures_of(year, priority, fetch_rows(year, priority.pk if priority is not None else None))


def sum_mismatches(figures: dict) -> list[str]:
    """Where the headline differs from the sum of a breakdown (by plan, by priority); [] when none.

    Every stored version must pass this: the figures are read in one snapshot, so a difference
    means a bug, never a race. Numbers are compared as the exact decimals they stand for.
    """
    headline = figures.get("headline") or {}
    problems = []
    for breakdown in ("by_plan", "by_priority"):
        for key in BREAKDOWN_KEYS:
            total = sum((Decimal(str(row.get(key, 0))) for row in figures.get(breakdown) or []), Decimal(0))
            if total != Decimal(str(headline.get(key, 0))):
                problems.append(
                    f"{key}: headline {headline.get(key, 0)} but the sum {breakdown} is {number(total)}"
                )
    return problems
