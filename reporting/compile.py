"""Data → figures: the yearly factsheet's numbers, aggregated in the database in one statement.

Every number comes from the **validated** result entries of the year (and of the previous
year, for the comparison), optionally narrowed to one priority. ONE SQL statement (`statement`)
reads them: a single pass over the entries grouped several ways at once (`GROUPING SETS` on
PostgreSQL, the same groups as a UNION ALL on SQLite: `_grouping_sets` is the only place that
knows the database), the actions with results counted from those groups, and the countries
taking part in them. One statement sees one snapshot of the data whatever the isolation level
or the surrounding transaction, so the headline always equals the sum of its breakdowns even
while entries are being validated or returned. Python only reshapes the grouped rows (loops
here run over groups, never over entries).

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

import datetime
import decimal
import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection

from oap.choices import EntryStatus, OrganisationKind, ParticipationRole, ResultCategory, ResultUnit
from oap.models import (
    Cycle,
    OperationalAction,
    OperationalActionPlan,
    Organisation,
    Participation,
    PriorityCrimeArea,
    ResultEntry,
    ResultType,
)

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
COUNTRY_KINDS = (OrganisationKind.MEMBER_STATE, OrganisationKind.THIRD_COUNTRY)
KG_PER_UNIT = {ResultUnit.KG: Decimal(1), ResultUnit.TONNES: Decimal(1000)}

#: The number of queries `compile_figures` makes, whatever the number of entries.
QUERY_COUNT = 1


@dataclass(frozen=True)
class Compiled:
    figures: dict
    checksum: str


def number(value) -> int | float:
    """A JSON number: whole values as int, others as float rounded to 3 decimals."""
    value = Decimal(value or 0)
    if value == value.to_integral_value():
        return int(value)
    return float(round(value, 3))


def change(current, previous) -> float | None:
    """(current − previous) / previous, rounded to 4 decimals; None without a previous figure."""
    if previous in (None, 0):
        return None
    return float(round((Decimal(current or 0) - Decimal(previous)) / Decimal(previous), 4))


#: values have 3 decimals; so have their sums (SQLite sums decimals as floats: 2959.56299999999)
THOUSANDTH = Decimal("0.001")
_FLOAT = decimal.Context(prec=15)  # as Django reads SQLite decimals


def exact(value) -> Decimal:
    """A sum of values as the exact decimal it is (to the thousandth)."""
    if value is None:
        return Decimal(0).quantize(THOUSANDTH)
    if isinstance(value, float):
        value = _FLOAT.create_decimal_from_float(value)
    return Decimal(value).quantize(THOUSANDTH)


def instant(value) -> str:
    """A moment as ISO text in UTC, whether the database gave a datetime or (SQLite) its text."""
    if value is None:
        return ""
    if isinstance(value, str):
        value = datetime.datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=datetime.UTC)
    return value.astimezone(datetime.UTC).isoformat()


# --- the statement ------------------------------------------------------------------------------

ENTRY_KEYS = ("year", "result_type_id", "priority_id", "plan_id", "action_id", "organisation_id")
#: the groups of the validated entries, each read in the same pass
ENTRY_GROUPS = {
    "year": ("year",),  # the fingerprint of each year's entries
    "counter": ("year", "result_type_id"),  # every counter's total: the headline, the counter table
    "priority": ("year", "priority_id", "result_type_id"),
    "plan": ("year", "plan_id", "result_type_id"),
    "organisation": ("year", "organisation_id", "result_type_id"),  # what each organisation reported
    "action": ("year", "priority_id", "plan_id", "action_id"),  # the actions with results
}
ACTION_KEYS = ("year", "priority_id", "plan_id")
ACTION_GROUPS = {
    "year_actions": ("year",),
    "plan_actions": ("year", "plan_id"),
    "priority_actions": ("year", "priority_id"),
}


def _grouping_sets(vendor: str, source: str, keys: tuple, groups: dict, aggregates: str) -> str:
    """`source` grouped by each of `groups` at once, a `kind` column naming the group of each row.

    PostgreSQL aggregates every group in one pass (GROUPING SETS); SQLite has no grouping sets,
    so it gets one GROUP BY per group, glued by UNION ALL (the same rows, same columns).
    """
    if vendor == "postgresql":
        masks = " ".join(
            f"WHEN {sum(1 << (len(keys) - 1 - i) for i, key in enumerate(keys) if key not in group)} "
            f"THEN '{kind}'"
            for kind, group in groups.items()
        )
        sets = ", ".join(f"({', '.join(group)})" for group in groups.values())
        return (
            f"SELECT CASE GROUPING({', '.join(keys)}) {masks} END AS kind, {', '.join(keys)}, {aggregates} "
            f"FROM {source} GROUP BY GROUPING SETS ({sets})"
        )
    return " UNION ALL ".join(
        f"SELECT '{kind}' AS kind, {', '.join(k if k in group else f'NULL AS {k}' for k in keys)}, "
        f"{aggregates} FROM {source} GROUP BY {', '.join(group)}"
        for kind, group in groups.items()
    )


def statement(vendor: str, *, scoped: bool) -> str:
    """The one statement: every grouped row the figures are made from (named parameters `year`,
    `previous` and, when `scoped` to a priority, `priority`)."""
    table = {
        model.__name__: model._meta.db_table
        for model in (
            Cycle,
            OperationalAction,
            OperationalActionPlan,
            Organisation,
            Participation,
            PriorityCrimeArea,
            ResultEntry,
            ResultType,
        )
    }
    scope = "AND p.priority_id = %(priority)s" if scoped else ""
    countries = ", ".join(f"'{kind}'" for kind in COUNTRY_KINDS)
    grouped = _grouping_sets(
        vendor,
        "entries",
        ENTRY_KEYS,
        ENTRY_GROUPS,
        "count(*) AS n, sum(value) AS total, sum(id) AS ids, max(updated_at) AS updated",
    )
    actions = _grouping_sets(
        vendor,
        "(SELECT year, priority_id, plan_id FROM grouped WHERE kind = 'action') g",
        ACTION_KEYS,
        ACTION_GROUPS,
        "count(*) AS n",
    )
    return f"""
WITH entries AS (
  SELECT e.year, e.result_type_id, p.priority_id, a.plan_id, e.action_id, e.organisation_id,
         e.value, e.id, e.updated_at
    FROM {table["ResultEntry"]} e
    JOIN {table["OperationalAction"]} a ON a.id = e.action_id
    JOIN {table["OperationalActionPlan"]} p ON p.id = a.plan_id
   WHERE e.status = '{EntryStatus.VALIDATED}' AND e.year IN (%(previous)s, %(year)s) {scope}
), grouped AS ({grouped}
), actions AS ({actions}
), countries AS (
  SELECT pa.organisation_id,
         sum(CASE WHEN g.year = %(year)s THEN 1 ELSE 0 END) AS n,
         sum(CASE WHEN g.year = %(year)s AND pa.role = '{ParticipationRole.LEADER}' THEN 1 ELSE 0 END) AS led,
         sum(CASE WHEN g.year = %(year)s AND pa.role = '{ParticipationRole.CO_LEADER}' THEN 1 ELSE 0 END)
           AS co_led,
         sum(CASE WHEN g.year = %(previous)s THEN 1 ELSE 0 END) AS previous
    FROM grouped g
    JOIN {table["Participation"]} pa ON pa.action_id = g.action_id
    JOIN {table["Organisation"]} o ON o.id = pa.organisation_id
   WHERE g.kind = 'action' AND o.kind IN ({countries})
   GROUP BY pa.organisation_id
)
SELECT g.kind, g.year, coalesce(g.priority_id, g.plan_id, g.organisation_id) AS id, g.result_type_id AS type,
       g.n, g.total, g.ids, g.updated,
       CAST(NULL AS bigint) AS led, CAST(NULL AS bigint) AS co_led, CAST(NULL AS bigint) AS previous,
       rt.code, rt.name, rt.unit AS label, rt.category, rt."order" AS number
  FROM grouped g
  LEFT JOIN {table["ResultType"]} rt ON rt.id = g.result_type_id AND g.kind = 'counter'
 WHERE g.kind IN ('year', 'counter') OR (g.kind IN ('priority', 'plan', 'organisation') AND g.year = %(year)s)
UNION ALL
SELECT x.kind, x.year, NULL, NULL, x.n, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
  FROM actions x WHERE x.kind = 'year_actions'
UNION ALL
SELECT x.kind, x.year, pl.id, NULL, x.n, NULL, NULL, NULL, NULL, NULL, NULL, pl.code, pl.name, pr.code, NULL, NULL
  FROM actions x
  JOIN {table["OperationalActionPlan"]} pl ON pl.id = x.plan_id
  JOIN {table["PriorityCrimeArea"]} pr ON pr.id = pl.priority_id
 WHERE x.kind = 'plan_actions' AND x.year = %(year)s
UNION ALL
SELECT x.kind, x.year, pr.id, NULL, x.n, NULL, NULL, NULL, NULL, NULL, NULL, pr.code, pr.name, cy.code, NULL,
       pr.number
  FROM actions x
  JOIN {table["PriorityCrimeArea"]} pr ON pr.id = x.priority_id
  JOIN {table["Cycle"]} cy ON cy.id = pr.cycle_id
 WHERE x.kind = 'priority_actions' AND x.year = %(year)s
UNION ALL
SELECT 'country', NULL, o.id, NULL, c.n, NULL, NULL, NULL, c.led, c.co_led, c.previous, o.code, o.name, o.kind,
       NULL, NULL
  FROM countries c
  JOIN {table["Organisation"]} o ON o.id = c.organisation_id
"""


def _fetch(year: int, priority_id: int | None) -> dict[str, list[dict]]:
    """Every grouped row the figures are made from, by ONE query, as `_shape` takes them."""
    params = {"year": year, "previous": year - 1}
    if priority_id is not None:
        params["priority"] = priority_id
    with connection.cursor() as cursor:
        cursor.execute(statement(connection.vendor, scoped=priority_id is not None), params)
        names = [column[0] for column in cursor.description]
        kinds: dict[str, list[dict]] = defaultdict(list)
        for values in cursor.fetchall():
            row = dict(zip(names, values, strict=True))
            kinds[row["kind"]].append(row)
    return _collect(year, kinds)


def _collect(year: int, kinds: dict[str, list[dict]]) -> dict[str, list[dict]]:
    """The statement's rows, by kind, in the shape `_shape` takes (and `reference_rows` gives)."""
    counters = [
        {
            "year": row["year"],
            "type": row["type"],
            "code": row["code"],
            "name": row["name"],
            "unit": row["label"],
            "category": row["category"],
            "order": row["number"],
            "total": exact(row["total"]),
            "entries": row["n"],
        }
        for row in kinds["counter"]
    ]
    types = {row["type"]: row for row in counters if row["year"] == year}
    actions = {row["year"]: row["n"] for row in kinds["year_actions"]}

    def per_type(kind: str, key: str) -> list[dict]:
        return [
            {
                key: row["id"],
                **{name: types[row["type"]][name] for name in ("code", "unit", "category")},
                "total": exact(row["total"]),
            }
            for row in kinds[kind]
        ]

    reported: dict[int, dict] = {}
    for row in kinds["organisation"]:
        item = reported.setdefault(row["id"], {"organisation": row["id"], "entries": 0, "arrests": None})
        item["entries"] += row["n"]
        if types[row["type"]]["code"] == "arrests":
            item["arrests"] = exact(row["total"])
    return {
        "years": [
            {
                "year": row["year"],
                "entries": row["n"],
                "id_sum": int(row["ids"]),
                "value_sum": exact(row["total"]),
                "updated": instant(row["updated"]),
                "actions": actions.get(row["year"], 0),
            }
            for row in kinds["year"]
        ],
        "counters": counters,
        "priority_counters": per_type("priority", "priority"),
        "plan_counters": per_type("plan", "plan"),
        "priorities": [
            {
                "priority": row["id"],
                "code": row["code"],
                "number": row["number"],
                "name": row["name"],
                "cycle": row["label"],
                "actions": row["n"],
            }
            for row in kinds["priority_actions"]
        ],
        "plans": [
            {
                "plan": row["id"],
                "code": row["code"],
                "name": row["name"],
                "priority": row["label"],
                "actions": row["n"],
            }
            for row in kinds["plan_actions"]
        ],
        "participation": [
            {
                "organisation": row["id"],
                "code": row["code"],
                "name": row["name"],
                "kind": row["label"],
                "actions": row["n"],
                "led": row["led"],
                "co_led": row["co_led"],
                "previous_actions": row["previous"],
            }
            for row in kinds["country"]
        ],
        "reported": list(reported.values()),
    }


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
    previous_totals = {row["code"]: row["total"] for row in counters if row["year"] == year - 1}
    reported = {row["organisation"]: row for row in rows["reported"]}
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
        "participation": [
            {
                **{key: row[key] for key in ("code", "name", "kind", "actions", "led", "co_led")},
                "entries": reported.get(row["organisation"], {}).get("entries", 0),
                "arrests": number(reported.get(row["organisation"], {}).get("arrests")),
            }
            for row in countries
            if row["actions"]
        ],
        "counters": [
            {
                **{key: row[key] for key in ("code", "name", "unit", "category")},
                "value": number(row["total"]),
                "previous": number(previous_totals[row["code"]]) if row["code"] in previous_totals else None,
                "entries": row["entries"],
            }
            for row in counters
            if row["year"] == year
        ],
    }


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
    """The figures and the checksum made from the grouped rows (`_fetch`'s, or the tests' oracle's)."""
    figures = _shape(year, priority, rows)
    return Compiled(
        figures=figures, checksum=_checksum(year, getattr(priority, "pk", None), figures, rows["years"])
    )


def compile_figures(*, year: int, priority: PriorityCrimeArea | None = None) -> Compiled:
    """The factsheet figures of `year` (EU-wide, or for one priority) and their inputs' checksum."""
    return figures_of(year, priority, _fetch(year, priority.pk if priority is not None else None))


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
