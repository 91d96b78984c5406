"""Data → figures: the yearly factsheet's numbers, aggregated in the database.

Every number comes from a GROUP BY over the **validated** result entries of the year (and of
the previous year, for the comparison), optionally narrowed to one priority. Python only
reshapes the grouped rows — it never loops over entries — so a compile costs the same small,
fixed number of queries (`QUERY_COUNT`) however many entries there are.

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

The checksum is a SHA-256 of everything the figures are made from: the grouped rows and, per
year, a fingerprint of the validated entries themselves (how many, the sum of their ids and
values, the latest `updated_at`), so the same data always gives the same checksum and figures,
and any change to a validated entry changes the checksum.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Max, Q, QuerySet, Sum

from oap.choices import EntryStatus, OrganisationKind, ParticipationRole, ResultCategory, ResultUnit
from oap.models import Participation, PriorityCrimeArea, ResultEntry

#: Bump when the figures' shape or meaning changes: old checksums then no longer match.
FIGURES_FORMAT = 1

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
QUERY_COUNT = 8


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


def validated_entries(years, priority_id: int | None) -> QuerySet:
    """The validated entries of `years` in the scope (all priorities, or one)."""
    entries = ResultEntry.objects.filter(status=EntryStatus.VALIDATED, year__in=list(years)).order_by()
    if priority_id is not None:
        entries = entries.filter(action__plan__priority_id=priority_id)
    return entries


def _drug_kg(row) -> Decimal:
    return (row["total"] or Decimal(0)) * KG_PER_UNIT.get(row["result_type__unit"], Decimal(1))


def _canonical(value):
    if isinstance(value, Decimal):
        return str(value.normalize()) if value else "0"
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def _rows(queryset) -> list[dict]:
    """Evaluate a grouped queryset into plain dicts (one query)."""
    return [dict(row) for row in queryset]


def _fetch(year: int, priority_id: int | None) -> dict[str, list[dict]]:
    """Every grouped row the figures are made from: QUERY_COUNT queries, none per entry."""
    years = (year, year - 1)
    entries = validated_entries(years, priority_id)
    current = entries.filter(year=year)
    counted = Q(result_type__code__in=COUNTERS) | Q(result_type__category=ResultCategory.DRUGS)

    def actions_of(y):
        return validated_entries([y], priority_id).values("action_id")

    rows = {
        # 1. per year: the fingerprint of the entries and the number of actions with results
        "years": _rows(
            entries.values("year")
            .annotate(
                entries=Count("pk"),
                id_sum=Sum("pk"),
                value_sum=Sum("value"),
                last_update=Max("updated_at"),
                actions=Count("action", distinct=True),
            )
            .order_by("year")
        ),
        # 2. per year and counter: every counter's total (the headline and the counter table)
        "counters": _rows(
            entries.values(
                "year",
                "result_type__code",
                "result_type__name",
                "result_type__unit",
                "result_type__category",
                "result_type__order",
            )
            .annotate(total=Sum("value"), entries=Count("pk"))
            .order_by("year", "result_type__order", "result_type__code")
        ),
        # 3. per priority and counter (this year)
        "priority_counters": _rows(
            current.filter(counted)
            .values(
                "action__plan__priority_id", "result_type__code", "result_type__unit", "result_type__category"
            )
            .annotate(total=Sum("value"))
            .order_by("action__plan__priority_id", "result_type__code")
        ),
        # 4. per priority: actions with results, with the priority's identity
        "priorities": _rows(
            current.values(
                "action__plan__priority_id",
                "action__plan__priority__code",
                "action__plan__priority__number",
                "action__plan__priority__name",
                "action__plan__priority__cycle__code",
            )
            .annotate(actions=Count("action", distinct=True))
            .order_by("action__plan__priority__cycle__code", "action__plan__priority__number")
        ),
        # 5. per plan and counter (this year)
        "plan_counters": _rows(
            current.filter(counted)
            .values("action__plan_id", "result_type__code", "result_type__unit", "result_type__category")
            .annotate(total=Sum("value"))
            .order_by("action__plan_id", "result_type__code")
        ),
        # 6. per plan: actions with results, with the plan's identity
        "plans": _rows(
            current.values(
                "action__plan_id",
                "action__plan__code",
                "action__plan__name",
                "action__plan__priority__code",
            )
            .annotate(actions=Count("action", distinct=True))
            .order_by("action__plan__code")
        ),
        # 7. per country taking part in the actions with results, this year and the previous
        "participation": _rows(
            Participation.objects.filter(organisation__kind__in=COUNTRY_KINDS)
            .filter(Q(action_id__in=actions_of(year)) | Q(action_id__in=actions_of(year - 1)))
            .values("organisation__code", "organisation__name", "organisation__kind")
            .annotate(
                actions=Count("action", distinct=True, filter=Q(action_id__in=actions_of(year))),
                led=Count(
                    "pk",
                    filter=Q(action_id__in=actions_of(year), role=ParticipationRole.LEADER),
                ),
                co_led=Count(
                    "pk",
                    filter=Q(action_id__in=actions_of(year), role=ParticipationRole.CO_LEADER),
                ),
                previous_actions=Count("action", distinct=True, filter=Q(action_id__in=actions_of(year - 1))),
            )
            .order_by("organisation__code")
        ),
        # 8. per country: what it reported this year
        "reported": _rows(
            current.filter(organisation__kind__in=COUNTRY_KINDS)
            .values("organisation__code")
            .annotate(
                entries=Count("pk"),
                arrests=Sum("value", filter=Q(result_type__code="arrests")),
            )
            .order_by("organisation__code")
        ),
    }
    return rows


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
        "action__plan__priority_id",
        rows["priority_counters"],
        lambda row: {
            "code": row["action__plan__priority__code"],
            "number": row["action__plan__priority__number"],
            "name": row["action__plan__priority__name"],
            "cycle": row["action__plan__priority__cycle__code"],
        },
    )
    by_plan = breakdown(
        rows["plans"],
        "action__plan_id",
        rows["plan_counters"],
        lambda row: {
            "code": row["action__plan__code"],
            "name": row["action__plan__name"],
            "priority": row["action__plan__priority__code"],
        },
    )
    reported = {row["organisation__code"]: row for row in rows["reported"]}
    participation = [
        {
            "code": row["organisation__code"],
            "name": row["organisation__name"],
            "kind": row["organisation__kind"],
            "actions": row["actions"],
            "led": row["led"],
            "co_led": row["co_led"],
            "entries": reported.get(row["organisation__code"], {}).get("entries", 0),
            "arrests": number(reported.get(row["organisation__code"], {}).get("arrests")),
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
