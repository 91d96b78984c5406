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


#: The statement, with the tables and the scope to fill in (`statement`). Its rows: `kind` names
#: what a row is; the other columns are those of `_collect`.
STATEMENT = """
WITH per_plan AS (
  SELECT e.year, a.plan_id, e.result_type_id,
         count(*) AS n, sum(e.value) AS total, sum(e.id) AS ids, max(e.updated_at) AS updated
    FROM {entry} e
    JOIN {action} a ON a.id = e.action_id
    {plan_in_scope}
   WHERE {validated} AND e.year IN (%(previous)s, %(year)s)
   GROUP BY e.year, a.plan_id, e.result_type_id
), summed AS ({summed}
), acted AS (
  SELECT x.year, x.action_id, a.plan_id, p.priority_id
    FROM (SELECT DISTINCT e.year, e.action_id FROM {entry} e
           WHERE {validated} AND e.year IN (%(previous)s, %(year)s)) x
    JOIN {action} a ON a.id = x.action_id
    JOIN {plan} p ON p.id = a.plan_id {in_scope}
), actions AS ({actions}
), reported AS (
  SELECT e.organisation_id, count(*) AS n,
         sum(CASE WHEN e.result_type_id = (SELECT id FROM {result_type} WHERE code = 'arrests')
                  THEN e.value END) AS arrests
    FROM {entry} e {entry_in_scope}
   WHERE {validated} AND e.year = %(year)s
   GROUP BY e.organisation_id
), countries AS (
  SELECT pa.organisation_id,
         sum(CASE WHEN x.year = %(year)s THEN 1 ELSE 0 END) AS n,
         sum(CASE WHEN x.year = %(year)s AND pa.role = '{leader}' THEN 1 ELSE 0 END) AS led,
         sum(CASE WHEN x.year = %(year)s AND pa.role = '{co_leader}' THEN 1 ELSE 0 END)
           AS co_led,
         sum(CASE WHEN x.year = %(previous)s THEN 1 ELSE 0 END) AS previous
    FROM acted x
    JOIN {participation} pa ON pa.action_id = x.action_id
    JOIN {organisation} o ON o.id = pa.organisation_id
   WHERE o.kind IN ({countries})
   GROUP BY pa.organisation_id
)
SELECT g.kind, g.year, g.priority_id AS id, g.result_type_id AS type, g.n, g.total, g.ids, g.updated,
       CAST(NULL AS bigint) AS led, CAST(NULL AS bigint) AS co_led, CAST(NULL AS bigint) AS previous,
       rt.code, rt.name, rt.unit AS label, rt.category, rt."order" AS number
  FROM summed g
  LEFT JOIN {result_type} rt ON rt.id = g.result_type_id AND g.kind = 'counter'
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
  JOIN {priority} pr ON pr.id = pl.priority_id
 WHERE x.kind = 'plan_actions' AND x.year = %(year)s
UNION ALL
SELECT x.kind, x.year, pr.id, NULL, x.n, NULL, NULL, NULL, NULL, NULL, NULL, pr.code, pr.name, cy.code, NULL,
       pr.number
  FROM actions x
  JOIN {priority} pr ON pr.id = x.priority_id
  JOIN {cycle} cy ON cy.id = pr.cycle_id
 WHERE x.kind = 'priority_actions' AND x.year = %(year)s
UNION ALL
SELECT 'country', NULL, o.id, NULL, c.n, NULL, NULL, NULL, c.led, c.co_led, c.previous, o.code, o.name, o.kind,
       NULL, NULL
  FROM countries c
  JOIN {organisation} o ON o.id = c.organisation_id
"""


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
    in_scope = "AND p.priority_id = %(priority)s" if scoped else ""
    plan_in_scope = f"JOIN {t['OperationalActionPlan']} p ON p.id = a.plan_id {in_scope}" if scoped else ""
    return STATEMENT.format(
        entry=t["ResultEntry"],
        action=t["OperationalAction"],
        plan=t["OperationalActionPlan"],
        priority=t["PriorityCrimeArea"],
        cycle=t["Cycle"],
        result_type=t["ResultType"],
        participation=t["Participation"],
        organisation=t["Organisation"],
        validated=f"e.status = '{EntryStatus.VALIDATED}'",
        in_scope=in_scope,
        plan_in_scope=plan_in_scope,
        entry_in_scope=f"JOIN {t['OperationalAction']} a ON a.id = e.action_id {plan_in_scope}"
        if scoped
        else "",
        leader=ParticipationRole.LEADER,
        co_leader=ParticipationRole.CO_LEADER,
        countries=", ".join(f"'{kind}'" for kind in COUNTRY_KINDS),
        summed=_groups(
            f"(SELECT g.*, p.priority_id FROM per_plan g JOIN {t['OperationalActionPlan']} p ON p.id = g.plan_id) g",
            PLAN_KEYS,
            PLAN_GROUPS,
            "CAST(sum(n) AS bigint) AS n, sum(total) AS total, sum(ids) AS ids, max(updated) AS updated",
        ),
        actions=_groups("acted", ACTION_KEYS, ACTION_GROUPS, "count(*) AS n"),
    )


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


def _pick(rows: list[dict], **columns: str) -> list[dict]:
    """Each row as a dict of `columns` (the name `_shape` knows = the statement's column)."""
    return [{name: row[column] for name, column in columns.items()} for row in rows]


#: {figure's key: the statement's column}, by kind of row
COUNTER_COLUMNS = {
    "year": "year",
    "type": "type",
    "code": "code",
    "name": "name",
    "unit": "label",
    "category": "category",
    "order": "number",
    "total": "total",
    "entries": "n",
}
PRIORITY_COLUMNS = {
    "priority": "id",
    "code": "code",
    "number": "number",
    "name": "name",
    "cycle": "label",
    "actions": "n",
}
PARTICIPATION_COLUMNS = {
    "organisation": "id",
    "code": "code",
    "name": "name",
    "kind": "label",
    "actions": "n",
    "led": "led",
    "co_led": "co_led",
    "previous_actions": "previous",
}


def _collect(year: int, kinds: dict[str, list[dict]]) -> dict[str, list[dict]]:
    """The statement's rows, by kind, in the shape `_shape` takes (and `reference_rows` gives)."""
    for row in (*kinds["counter"], *kinds["priority"], *kinds["plan"], *kinds["year"]):
        row["total"] = exact(row["total"])
    counters = _pick(kinds["counter"], **COUNTER_COLUMNS)
    types = {row["type"]: row for row in counters if row["year"] == year}
    actions = {row["year"]: row["n"] for row in kinds["year_actions"]}

    def per_type(kind: str, key: str) -> list[dict]:
        """Totals by `key` and counter, with the counter's code, unit and category."""
        return [
            {key: row["id"], **{name: types[row["type"]][name] for name in ("code", "unit", "category")}}
            | {"total": row["total"]}
            for row in kinds[kind]
        ]

    return {
        "years": [
            {
                "year": row["year"],
                "entries": row["n"],
                "id_sum": int(row["ids"]),
                "value_sum": row["total"],
                "updated": instant(row["updated"]),
                "actions": actions.get(row["year"], 0),
            }
            for row in kinds["year"]
        ],
        "counters": counters,
        "priority_counters": per_type("priority", "priority"),
        "plan_counters": per_type("plan", "plan"),
        "priorities": _pick(kinds["priority_actions"], **PRIORITY_COLUMNS),
        "plans": _pick(
            kinds["plan_actions"], plan="id", code="code", name="name", priority="label", actions="n"
        ),
        "participation": _pick(kinds["country"], **PARTICIPATION_COLUMNS),
        "reported": [
            {
                "organisation": row["id"],
                "entries": row["n"],
                "arrests": None if row["total"] is None else exact(row["total"]),
            }
            for row in kinds["organisation"]
        ],
    }
