"""The one statement the factsheet compile reads (`reporting.compile`): every grouped row its
figures are made from, in one snapshot of the data.

It reads the validated entries of the year and of the previous one three ways — plain GROUP BYs
that PostgreSQL may run in parallel — and groups their few rows further; all in one statement,
so whatever writes meanwhile, every row it returns comes from the same moment. Written for
PostgreSQL and SQLite alike (no GROUPING SETS: SQLite has none; they are spelled out as UNION
ALL over rows already grouped).
"""

from __future__ import annotations

import datetime
import decimal
from collections import defaultdict
from decimal import Decimal

from django.db import connection

from oap.choices import EntryStatus, OrganisationKind, ParticipationRole
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

#: the organisations that are countries (Member States and third countries)
COUNTRY_KINDS = (OrganisationKind.MEMBER_STATE, OrganisationKind.THIRD_COUNTRY)

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


PLAN_KEYS = ("year", "priority_id", "result_type_id")
#: the validated entries summed by year, plan and counter, then further (a plan is in one priority)
PLAN_GROUPS = {
    "year": ("year",),  # the fingerprint of each year's entries
    "counter": ("year", "result_type_id"),  # every counter's total: the headline, the counter table
    "priority": ("year", "priority_id", "result_type_id"),  # the breakdown by priority
}
ACTION_KEYS = ("year", "priority_id", "plan_id")
#: the actions with results, counted
ACTION_GROUPS = {
    "year_actions": ("year",),
    "plan_actions": ("year", "plan_id"),
    "priority_actions": ("year", "priority_id"),
}


def _groups(source: str, keys: tuple, groups: dict, aggregates: str) -> str:
    """`source` (a few hundred or thousand grouped rows) grouped each of the ways in `groups`, as
    one UNION ALL, a `kind` column naming the group of each row: GROUPING SETS, written out the
    way every database reads them (the keys are ids and years; a key a group lacks is NULL)."""
    return " UNION ALL ".join(
        f"SELECT '{kind}' AS kind, {', '.join(k if k in group else f'CAST(NULL AS bigint) AS {k}' for k in keys)}, "
        f"{aggregates} FROM {source} GROUP BY {', '.join(group)}"
        for kind, group in groups.items()
    )


TABLES = {
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


def statement(*, scoped: bool) -> str:
    """The one statement: every grouped row the figures are made from (named parameters `year`,
    `previous` and, when `scoped` to a priority, `priority`).

    Three plain GROUP BYs over the validated entries, in the same statement (so in the same
    snapshot): by year, plan and counter (`per_plan`, with the fingerprint), by year and action
    (`acted`: the actions with results, which give the action counts and the countries taking
    part), and this year's by organisation (`reported`). The grouping sets then run over their
    few rows.
    """
    t = TABLES
    plan, action, entry = t["OperationalActionPlan"], t["OperationalAction"], t["ResultEntry"]
    validated = f"e.status = '{EntryStatus.VALIDATED}'"
    scope = f"JOIN {action} a ON a.id = e.action_id JOIN {plan} p ON p.id = a.plan_id AND p.priority_id = %(priority)s"
    summed = _groups(
        f"(SELECT g.*, p.priority_id FROM per_plan g JOIN {plan} p ON p.id = g.plan_id) g",
        PLAN_KEYS,
        PLAN_GROUPS,
        "CAST(sum(n) AS bigint) AS n, sum(total) AS total, sum(ids) AS ids, max(updated) AS updated",
    )
    actions = _groups("acted", ACTION_KEYS, ACTION_GROUPS, "count(*) AS n")
    countries = ", ".join(f"'{kind}'" for kind in COUNTRY_KINDS)
    return f"""
WITH per_plan AS (
  SELECT e.year, a.plan_id, e.result_type_id,
         count(*) AS n, sum(e.value) AS total, sum(e.id) AS ids, max(e.updated_at) AS updated
    FROM {entry} e
    JOIN {action} a ON a.id = e.action_id
    {f"JOIN {plan} p ON p.id = a.plan_id AND p.priority_id = %(priority)s" if scoped else ""}
   WHERE {validated} AND e.year IN (%(previous)s, %(year)s)
   GROUP BY e.year, a.plan_id, e.result_type_id
), summed AS ({summed}
), acted AS (
  SELECT x.year, x.action_id, a.plan_id, p.priority_id
    FROM (SELECT DISTINCT e.year, e.action_id FROM {entry} e
           WHERE {validated} AND e.year IN (%(previous)s, %(year)s)) x
    JOIN {action} a ON a.id = x.action_id
    JOIN {plan} p ON p.id = a.plan_id {"AND p.priority_id = %(priority)s" if scoped else ""}
), actions AS ({actions}
), reported AS (
  SELECT e.organisation_id, count(*) AS n,
         sum(CASE WHEN e.result_type_id = (SELECT id FROM {t["ResultType"]} WHERE code = 'arrests')
                  THEN e.value END) AS arrests
    FROM {entry} e {scope if scoped else ""}
   WHERE {validated} AND e.year = %(year)s
   GROUP BY e.organisation_id
), countries AS (
  SELECT pa.organisation_id,
         sum(CASE WHEN x.year = %(year)s THEN 1 ELSE 0 END) AS n,
         sum(CASE WHEN x.year = %(year)s AND pa.role = '{ParticipationRole.LEADER}' THEN 1 ELSE 0 END) AS led,
         sum(CASE WHEN x.year = %(year)s AND pa.role = '{ParticipationRole.CO_LEADER}' THEN 1 ELSE 0 END)
           AS co_led,
         sum(CASE WHEN x.year = %(previous)s THEN 1 ELSE 0 END) AS previous
    FROM acted x
    JOIN {t["Participation"]} pa ON pa.action_id = x.action_id
    JOIN {t["Organisation"]} o ON o.id = pa.organisation_id
   WHERE o.kind IN ({countries})
   GROUP BY pa.organisation_id
)
SELECT g.kind, g.year, g.priority_id AS id, g.result_type_id AS type, g.n, g.total, g.ids, g.updated,
       CAST(NULL AS bigint) AS led, CAST(NULL AS bigint) AS co_led, CAST(NULL AS bigint) AS previous,
       rt.code, rt.name, rt.unit AS label, rt.category, rt."order" AS number
  FROM summed g
  LEFT JOIN {t["ResultType"]} rt ON rt.id = g.result_type_id AND g.kind = 'counter'
 WHERE g.kind <> 'priority' OR g.year = %(year)s
UNION ALL
SELECT 'plan', g.year, g.plan_id, g.result_type_id, g.n, g.total, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
       NULL, NULL
  FROM per_plan g WHERE g.year = %(year)s
UNION ALL
SELECT 'organisation', %(year)s, r.organisation_id, NULL, r.n, r.arrests, NULL, NULL, NULL, NULL, NULL, NULL,
       NULL, NULL, NULL, NULL
  FROM reported r
UNION ALL
SELECT x.kind, x.year, NULL, NULL, x.n, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
  FROM actions x WHERE x.kind = 'year_actions'
UNION ALL
SELECT x.kind, x.year, pl.id, NULL, x.n, NULL, NULL, NULL, NULL, NULL, NULL, pl.code, pl.name, pr.code, NULL, NULL
  FROM actions x
  JOIN {plan} pl ON pl.id = x.plan_id
  JOIN {t["PriorityCrimeArea"]} pr ON pr.id = pl.priority_id
 WHERE x.kind = 'plan_actions' AND x.year = %(year)s
UNION ALL
SELECT x.kind, x.year, pr.id, NULL, x.n, NULL, NULL, NULL, NULL, NULL, NULL, pr.code, pr.name, cy.code, NULL,
       pr.number
  FROM actions x
  JOIN {t["PriorityCrimeArea"]} pr ON pr.id = x.priority_id
  JOIN {t["Cycle"]} cy ON cy.id = pr.cycle_id
 WHERE x.kind = 'priority_actions' AND x.year = %(year)s
UNION ALL
SELECT 'country', NULL, o.id, NULL, c.n, NULL, NULL, NULL, c.led, c.co_led, c.previous, o.code, o.name, o.kind,
       NULL, NULL
  FROM countries c
  JOIN {t["Organisation"]} o ON o.id = c.organisation_id
"""


def fetch_rows(year: int, priority_id: int | None) -> dict[str, list[dict]]:
    """Every grouped row the figures are made from, by ONE query, as `_shape` takes them."""
    params = {"year": year, "previous": year - 1}
    if priority_id is not None:
        params["priority"] = priority_id
    with connection.cursor() as cursor:
        cursor.execute(statement(scoped=priority_id is not None), params)
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
        "reported": [
            {
                "organisation": row["id"],
                "entries": row["n"],
                "arrests": None if row["total"] is None else exact(row["total"]),
            }
            for row in kinds["organisation"]
        ],
    }
