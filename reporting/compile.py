"""Data → figures: the yearly factsheet's numbers, aggregated in the database.

Every number comes from the **validated** result entries of the year (and of the previous
year, for the comparison), optionally narrowed to one priority — read from their rollups
(`oap.rollups`: small tables grouped by year, plan, organisation, result type and action, kept
exact by database triggers whatever writes the entries), never by scanning the entries. Python
only reshapes the grouped rows, so a compile costs the same small, fixed number of queries
(`QUERY_COUNT`) over tables whose size does not grow with the number of entries.

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

The checksum is a SHA-256 of everything the figures are made from: the grouped rows and, per
year, a fingerprint of the validated entries themselves (how many, the sums of their ids and
values, and the sum of their `updated_at` in epoch microseconds modulo 2**50), so the same data
always gives the same checksum and figures, and any change to a validated entry — its value,
its status, even only its `updated_at` — changes the checksum.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q, Sum
from django.db.models.functions import Coalesce

from oap.choices import OrganisationKind, ParticipationRole, ResultCategory, ResultUnit
from oap.models import (
    ActionRollupByPlan,
    ParticipationRollup,
    PriorityCrimeArea,
    ResultRollupByOrganisation,
    ResultRollupByPlan,
    ResultType,
)
from oap.rollups import UPDATED_MODULUS

#: Bump when the figures' shape or meaning changes: old checksums then no longer match.
#: 2: figures from the rollups; the fingerprint sums `updated_at` instead of taking the latest.
FIGURES_FORMAT = 2

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
QUERY_COUNT = 7


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


def _drug_kg(row) -> Decimal:
    return (row["total"] or Decimal(0)) * KG_PER_UNIT.get(row["result_type__unit"], Decimal(1))


def _canonical(value):
    if isinstance(value, Decimal):
        return str(value.normalize()) if value else "0"
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


#: values have 3 decimals; so have their sums (SQLite sums decimals as floats: 2959.56299999999)
THOUSANDTH = Decimal("0.001")


def exact(value):
    """A sum of values as the exact decimal it is (to the thousandth); other values unchanged."""
    return value.quantize(THOUSANDTH) if isinstance(value, Decimal) else value


def _rows(queryset, **renamed) -> list[dict]:
    """Evaluate a grouped queryset into plain dicts (one query), renaming the keys `renamed`."""
    return [{renamed.get(key, key): exact(value) for key, value in row.items()} for row in queryset]


def _plans(year: int, priority_id: int | None) -> list[dict]:
    """Per year (this one and the previous) and plan: the actions with results, with the plan."""
    rows = ActionRollupByPlan.objects.filter(year__in=(year - 1, year))
    if priority_id is not None:
        rows = rows.filter(plan__priority_id=priority_id)
    return _rows(
        rows.values(
            "year", "plan_id", "plan__code", "plan__name", "plan__priority__code", "actions"
        ).order_by("year", "plan__code"),
        plan_id="plan",
    )


def _priorities(year: int, priority_id: int | None) -> list[dict]:
    """Per priority: the actions with results this year, with the priority's identity."""
    rows = ActionRollupByPlan.objects.filter(year=year)
    if priority_id is not None:
        rows = rows.filter(plan__priority_id=priority_id)
    return _rows(
        rows.values(
            "plan__priority_id",
            "plan__priority__code",
            "plan__priority__number",
            "plan__priority__name",
            "plan__priority__cycle__code",
        )
        .annotate(n=Sum("actions"))
        .order_by("plan__priority__cycle__code", "plan__priority__number"),
        plan__priority_id="priority",
        n="actions",
    )


def _participation(year: int, priority_id: int | None) -> list[dict]:
    """Per country: the actions with results it takes part in this year (as leader, co-leader)
    and the previous year."""
    rows = ParticipationRollup.objects.filter(year__in=(year - 1, year), organisation__kind__in=COUNTRY_KINDS)
    if priority_id is not None:
        rows = rows.filter(plan__priority_id=priority_id)

    def actions(**where):
        return Coalesce(Sum("actions", filter=Q(**where)), 0)

    return _rows(
        rows.values("organisation_id", "organisation__code", "organisation__name", "organisation__kind")
        .annotate(
            this_year=actions(year=year),
            led=actions(year=year, role=ParticipationRole.LEADER),
            co_led=actions(year=year, role=ParticipationRole.CO_LEADER),
            previous_actions=actions(year=year - 1),
        )
        .order_by("organisation__code"),
        organisation_id="organisation",
        this_year="actions",
    )


def _fetch(year: int, priority_id: int | None) -> dict[str, list[dict]]:
    """Every grouped row the figures are made from: QUERY_COUNT queries over the rollups."""
    by_plan = ResultRollupByPlan.objects.filter(year__in=(year - 1, year)).order_by()
    by_organisation = ResultRollupByOrganisation.objects.filter(year=year).order_by()
    if priority_id is not None:
        by_plan = by_plan.filter(plan__priority_id=priority_id)
        by_organisation = by_organisation.filter(plan__priority_id=priority_id)
    current = by_plan.filter(year=year)
    counted = Q(result_type__code__in=COUNTERS) | Q(result_type__category=ResultCategory.DRUGS)

    # 1. per year and plan: the actions with results, with the plan's identity
    plans = _plans(year, priority_id)
    # 2. per year and counter: every counter's total (the headline and the counter table), and
    # the fingerprint of its entries
    counters = _rows(
        by_plan.values(
            "year",
            "result_type__code",
            "result_type__name",
            "result_type__unit",
            "result_type__category",
            "result_type__order",
        )
        .annotate(value_total=Sum("total"), n=Sum("entries"), ids=Sum("id_sum"), updated=Sum("updated_sum"))
        .order_by("year", "result_type__order", "result_type__code"),
        value_total="total",
        n="entries",
    )
    years: dict[int, dict] = {}
    for row in counters:  # per year: the fingerprint of the entries
        fingerprint = years.setdefault(
            row["year"],
            {
                "year": row["year"],
                "entries": 0,
                "id_sum": 0,
                "value_sum": Decimal(0),
                "updated_sum": 0,
                "actions": 0,
            },
        )
        fingerprint["entries"] += row["entries"]
        fingerprint["id_sum"] += int(row.pop("ids"))
        fingerprint["value_sum"] += row["total"]
        fingerprint["updated_sum"] = (fingerprint["updated_sum"] + int(row.pop("updated"))) % UPDATED_MODULUS
    for row in plans:  # and the actions with results
        if row["year"] in years:
            years[row["year"]]["actions"] += row["actions"]
    return {
        "years": [years[y] for y in sorted(years)],
        "counters": counters,
        # 3. per priority and counter (this year)
        "priority_counters": _rows(
            current.filter(counted)
            .values("plan__priority_id", "result_type__code", "result_type__unit", "result_type__category")
            .annotate(value_total=Sum("total"))
            .order_by("plan__priority_id", "result_type__code"),
            plan__priority_id="priority",
            value_total="total",
        ),
        # 4. per priority: actions with results, with the priority's identity
        "priorities": _priorities(year, priority_id),
        # 5. per plan and counter (this year)
        "plan_counters": _rows(
            current.filter(counted)
            .values("plan_id", "result_type__code", "result_type__unit", "result_type__category")
            .annotate(value_total=Sum("total"))
            .order_by("plan_id", "result_type__code"),
            plan_id="plan",
            value_total="total",
        ),
        # per plan: actions with results this year, with the plan's identity (from 1.)
        "plans": [
            {key: value for key, value in row.items() if key != "year"}
            for row in plans
            if row["year"] == year
        ],
        # 6. per country taking part in the actions with results, this year and the previous
        "participation": _participation(year, priority_id),
        # 7. per organisation: what it reported this year (the table of countries picks its own)
        "reported": _rows(
            by_organisation.values("organisation_id")
            .annotate(
                n=Sum("entries"),
                arrests=Sum(
                    "total",
                    filter=Q(result_type_id__in=ResultType.objects.filter(code="arrests").values("pk")),
                ),
            )
            .order_by("organisation_id"),
            organisation_id="organisation",
            n="entries",
        ),
    }


def _counter_totals(counter_rows: list[dict], year: int) -> dict[str, Decimal]:
    totals = {code: Decimal(0) for code in (*COUNTERS, "drugs_seized_kg")}
    for row in counter_rows:
        if row["year"] != year:
            continue
        code = row["result_type__code"]
        if code in totals:
            totals[code] += row["total"] or 0
        if row["result_type__category"] == ResultCategory.DRUGS:
            totals["drugs_seized_kg"] += _drug_kg(row)
    return totals


def _breakdown_totals(rows: list[dict], key: str) -> dict[int, dict[str, Decimal]]:
    totals: dict[int, dict[str, Decimal]] = {}
    for row in rows:
        bucket = totals.setdefault(row[key], {})
        code = row["result_type__code"]
        if code in COUNTERS:
            bucket[code] = bucket.get(code, Decimal(0)) + (row["total"] or 0)
        if row["result_type__category"] == ResultCategory.DRUGS:
            bucket["drugs_seized_kg"] = bucket.get("drugs_seized_kg", Decimal(0)) + _drug_kg(row)
    return totals


def _shape(year: int, priority: PriorityCrimeArea | None, rows: dict[str, list[dict]]) -> dict:
    """The figures, from the grouped rows (loops here run over groups, never over entries)."""
    per_year = {row["year"]: row for row in rows["years"]}
    country_rows = rows["participation"]

    def headline_of(y) -> dict | None:
        if y not in per_year:
            return None
        totals = _counter_totals(rows["counters"], y)
        result = {code: number(totals[code]) for code in (*COUNTERS, "drugs_seized_kg")}
        result["operational_actions"] = per_year[y]["actions"]
        key = "actions" if y == year else "previous_actions"
        result["countries"] = sum(1 for row in country_rows if row[key])
        return {key: result[key] for key in HEADLINE_KEYS}

    empty = dict.fromkeys(HEADLINE_KEYS, 0)
    headline = headline_of(year) or empty
    previous = headline_of(year - 1)
    change_vs_previous = {
        key: change(headline[key], previous[key] if previous else None) for key in HEADLINE_KEYS
    }

    counters = []
    previous_counters = {
        row["result_type__code"]: row["total"] for row in rows["counters"] if row["year"] == year - 1
    }
    for row in rows["counters"]:
        if row["year"] != year:
            continue
        code = row["result_type__code"]
        counters.append(
            {
                "code": code,
                "name": row["result_type__name"],
                "unit": row["result_type__unit"],
                "category": row["result_type__category"],
                "value": number(row["total"]),
                "previous": number(previous_counters[code]) if code in previous_counters else None,
                "entries": row["entries"],
            }
        )

    def breakdown(identity_rows, key, counter_rows, describe):
        totals = _breakdown_totals(counter_rows, key)
        result = []
        for row in identity_rows:
            values = totals.get(row[key], {})
            item = describe(row)
            item.update({code: number(values.get(code, 0)) for code in (*COUNTERS, "drugs_seized_kg")})
            item["operational_actions"] = row["actions"]
            result.append(item)
        return result

    by_priority = breakdown(
        rows["priorities"],
        "priority",
        rows["priority_counters"],
        lambda row: {
            "code": row["plan__priority__code"],
            "number": row["plan__priority__number"],
            "name": row["plan__priority__name"],
            "cycle": row["plan__priority__cycle__code"],
        },
    )
    by_plan = breakdown(
        rows["plans"],
        "plan",
        rows["plan_counters"],
        lambda row: {
            "code": row["plan__code"],
            "name": row["plan__name"],
            "priority": row["plan__priority__code"],
        },
    )
    reported = {row["organisation"]: row for row in rows["reported"]}
    participation = [
        {
            "code": row["organisation__code"],
            "name": row["organisation__name"],
            "kind": row["organisation__kind"],
            "actions": row["actions"],
            "led": row["led"],
            "co_led": row["co_led"],
            "entries": reported.get(row["organisation"], {}).get("entries", 0),
            "arrests": number(reported.get(row["organisation"], {}).get("arrests")),
        }
        for row in country_rows
        if row["actions"]
    ]
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
        "change_vs_previous": change_vs_previous,
        "by_priority": by_priority,
        "by_plan": by_plan,
        "participation": participation,
        "counters": counters,
    }


def _checksum(year: int, priority_id: int | None, rows: dict[str, list[dict]]) -> str:
    payload = {
        "format": FIGURES_FORMAT,
        "year": year,
        "priority": priority_id,
        "rows": {
            name: [{k: _canonical(v) for k, v in row.items()} for row in group]
            for name, group in rows.items()
        },
    }
    encoded = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str).encode()
    return hashlib.sha256(encoded).hexdigest()


def compile_figures(*, year: int, priority: PriorityCrimeArea | None = None) -> Compiled:
    """The factsheet figures of `year` (EU-wide, or for one priority) and their inputs' checksum."""
    rows = _fetch(year, priority.pk if priority is not None else None)
    return Compiled(
        figures=_shape(year, priority, rows),
        checksum=_checksum(year, priority.pk if priority is not None else None, rows),
    )
