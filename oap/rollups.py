"""Rollups of the validated result entries, kept exact by database triggers.

The yearly factsheet (`reporting.compile`) reads its figures from small tables instead of
scanning the entries. They hold, for the **validated** entries only:

- `ResultRollupByPlan` — by (year, plan, result type): entries, total (sum of the values),
  id_sum and updated_sum (the sums of their ids and of their `updated_at` in epoch
  microseconds, modulo `UPDATED_MODULUS` so that it fits a bigint on PostgreSQL and SQLite
  alike): per-year and per-plan counter totals and the fingerprint of the factsheet checksum;
- `ResultRollupByOrganisation` — by (year, plan, organisation, result type): entries, total;
- `ResultRollupByAction` — by (action, year): entries, and the action's plan; its rows are the
  year's "operational actions with results", which `ActionRollupByPlan` counts by (year, plan);
- `ParticipationRollup` — by (year, plan, organisation, role): of those actions with results,
  how many the organisation takes part in with that role.

An action's results count in its plan: moving an action to another plan moves them. A row
exists only while its count is positive.

Database triggers keep the rollups exact whatever writes the entries — ORM saves, bulk_create,
PostgreSQL COPY, queryset.update(), deletes, TRUNCATE — the participation, or an action's plan:
- PostgreSQL: statement-level triggers reading the statement's transition tables, so a bulk
  write costs one grouped upsert per rollup, in key order (concurrent writers lock rollup rows
  in the same order); a statement that changes no validated entry only scans its own rows.
  Before reading an action's plan or participation, a trigger locks the action row (entries:
  FOR SHARE; participation: FOR NO KEY UPDATE; a move holds it already), so a concurrent move,
  participation change and validation of the same action run one after the other;
- SQLite (the embedded default): row-level triggers, for validated entries only.
Migration 0005 installs them (a copy of `migration_sql()`). The application never writes these tables:
`rebuild_rollups()` recomputes them from the entries, `rollup_drift()` compares them with the
entries without writing (``manage.py rebuild_rollups [--check]``).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db import DEFAULT_DB_ALIAS, connections, models, transaction

#: `updated_sum` is kept modulo 2**50: a change of `updated_at` changes it unless it is a whole
#: multiple of 2**50 µs (35 years); epoch microseconds (< 2**51 until 2041) and sums fit a bigint.
UPDATED_MODULUS = 2**50
_HALF = 2**25  # UPDATED_MODULUS == _HALF * _HALF (SQLite sums the halves apart: no overflow)

ENTRY_TABLE = "oap_resultentry"
ACTION_TABLE = "oap_operationalaction"
PARTICIPATION_TABLE = "oap_participation"
VALIDATED = "validated"  # oap.choices.EntryStatus.VALIDATED


def _key(to: str, **options):
    """A key column: a plain reference (no constraint, no index of its own, no reverse accessor)."""
    return models.ForeignKey(
        to, on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, related_name="+", **options
    )


class Rollup(models.Model):
    """Read-only to the application: written by the database triggers and `rebuild_rollups`."""

    year = models.PositiveSmallIntegerField()

    class Meta:
        abstract = True
        default_permissions = ()

    def __str__(self) -> str:
        values = ", ".join(f"{f.attname}={getattr(self, f.attname)}" for f in self._meta.concrete_fields)
        return f"{self._meta.db_table}: {values}"


class ResultRollupByPlan(Rollup):
    plan = _key("oap.OperationalActionPlan")
    result_type = _key("oap.ResultType")
    entries = models.IntegerField()
    total = models.DecimalField(max_digits=32, decimal_places=3)
    id_sum = models.BigIntegerField()
    updated_sum = models.BigIntegerField()

    class Meta(Rollup.Meta):
        db_table = "oap_rollup_plan"
        constraints = [
            models.UniqueConstraint(fields=["year", "plan", "result_type"], name="oap_rollup_plan_key"),
        ]


class ResultRollupByOrganisation(Rollup):
    plan = _key("oap.OperationalActionPlan")
    organisation = _key("oap.Organisation")
    result_type = _key("oap.ResultType")
    entries = models.IntegerField()
    total = models.DecimalField(max_digits=32, decimal_places=3)

    class Meta(Rollup.Meta):
        db_table = "oap_rollup_organisation"
        constraints = [
            models.UniqueConstraint(
                fields=["year", "plan", "organisation", "result_type"], name="oap_rollup_organisation_key"
            ),
        ]


class ResultRollupByAction(Rollup):
    action = _key("oap.OperationalAction")
    plan = _key("oap.OperationalActionPlan", help_text="The action's plan.")
    entries = models.IntegerField()

    class Meta(Rollup.Meta):
        db_table = "oap_rollup_action"
        constraints = [models.UniqueConstraint(fields=["action", "year"], name="oap_rollup_action_key")]


class ActionRollupByPlan(Rollup):
    plan = _key("oap.OperationalActionPlan")
    actions = models.IntegerField(help_text="Actions of the plan with validated results in the year.")

    class Meta(Rollup.Meta):
        db_table = "oap_rollup_plan_actions"
        constraints = [models.UniqueConstraint(fields=["year", "plan"], name="oap_rollup_plan_actions_key")]


class ParticipationRollup(Rollup):
    plan = _key("oap.OperationalActionPlan")
    organisation = _key("oap.Organisation")
    role = models.CharField(max_length=16)
    actions = models.IntegerField(help_text="Actions of the plan with results in the year it takes part in.")

    class Meta(Rollup.Meta):
        db_table = "oap_rollup_participation"
        constraints = [
            models.UniqueConstraint(
                fields=["year", "plan", "organisation", "role"], name="oap_rollup_participation_key"
            ),
        ]


# --- the SQL: generated here for the triggers, the rebuild and the drift check -------------------


@dataclass(frozen=True)
class _Table:
    name: str
    keys: tuple[str, ...]  # the unique key, in lock order
    sums: tuple[str, ...]  # added up
    attributes: tuple[str, ...] = ()  # follow the key (an action's plan)

    @property
    def columns(self) -> tuple[str, ...]:
        return self.keys + self.attributes + self.sums


PLAN = _Table(
    "oap_rollup_plan", ("year", "plan_id", "result_type_id"), ("entries", "total", "id_sum", "updated_sum")
)
ORGANISATION = _Table(
    "oap_rollup_organisation", ("year", "plan_id", "organisation_id", "result_type_id"), ("entries", "total")
)
ACTION = _Table("oap_rollup_action", ("action_id", "year"), ("entries",), ("plan_id",))
PLAN_ACTIONS = _Table("oap_rollup_plan_actions", ("year", "plan_id"), ("actions",))
PARTICIPATION = _Table(
    "oap_rollup_participation", ("year", "plan_id", "organisation_id", "role"), ("actions",)
)
TABLES = (PLAN, ORGANISATION, ACTION, PLAN_ACTIONS, PARTICIPATION)

TRIGGERS = {  # name: (table, vendors)
    "oap_rollups_inserted": (ENTRY_TABLE, ("postgresql", "sqlite")),
    "oap_rollups_updated": (ENTRY_TABLE, ("postgresql", "sqlite")),
    "oap_rollups_deleted": (ENTRY_TABLE, ("postgresql", "sqlite")),
    "oap_rollups_truncated": (ENTRY_TABLE, ("postgresql",)),
    "oap_rollups_action_moved": (ACTION_TABLE, ("postgresql", "sqlite")),
    "oap_rollups_participation_inserted": (PARTICIPATION_TABLE, ("postgresql", "sqlite")),
    "oap_rollups_participation_updated": (PARTICIPATION_TABLE, ("postgresql", "sqlite")),
    "oap_rollups_participation_deleted": (PARTICIPATION_TABLE, ("postgresql", "sqlite")),
    "oap_rollups_participation_truncated": (PARTICIPATION_TABLE, ("postgresql",)),
}


def _micros(vendor: str, column: str) -> str:
    """`column` (a timestamp) in epoch microseconds, an integer expression."""
    if vendor == "postgresql":
        return f"(extract(epoch FROM {column}) * 1000000)::bigint"
    # Django keeps datetimes in SQLite as text, 'YYYY-MM-DD HH:MM:SS[.ffffff]' in UTC; the seconds
    # are read without the fraction (SQLite would round it to the millisecond, maybe up a second)
    return (
        f"(CAST(strftime('%s', substr({column}, 1, 19)) AS INTEGER) * 1000000 "
        f"+ CAST(substr({column}, 21, 6) AS INTEGER))"
    )


def _expected(vendor: str, table: _Table) -> str:
    """A SELECT of the rows `table` should hold (its columns, in order), from the entries."""
    if table is PLAN_ACTIONS:
        return (
            f"SELECT x.year, a.plan_id, count(*)\n"
            f"  FROM (SELECT DISTINCT action_id, year FROM {ENTRY_TABLE} WHERE status = '{VALIDATED}') x\n"
            f"  JOIN {ACTION_TABLE} a ON a.id = x.action_id\n"
            f" GROUP BY x.year, a.plan_id"
        )
    if table is PARTICIPATION:
        return (
            f"SELECT x.year, a.plan_id, p.organisation_id, p.role, count(*)\n"
            f"  FROM (SELECT DISTINCT action_id, year FROM {ENTRY_TABLE} WHERE status = '{VALIDATED}') x\n"
            f"  JOIN {ACTION_TABLE} a ON a.id = x.action_id\n"
            f"  JOIN {PARTICIPATION_TABLE} p ON p.action_id = x.action_id\n"
            f" GROUP BY x.year, a.plan_id, p.organisation_id, p.role"
        )
    micros = _micros(vendor, "e.updated_at")
    if vendor == "postgresql":
        updated = f"mod(sum({micros}), {UPDATED_MODULUS})"
    else:  # SQLite's sum() fails on an integer overflow: the high and low halves are summed apart
        updated = (
            f"((sum({micros} / {_HALF}) % {_HALF}) * {_HALF} + sum({micros} % {_HALF})) % {UPDATED_MODULUS}"
        )
    aggregates = {
        "entries": "count(*)",
        "total": "sum(e.value)",
        "id_sum": "sum(e.id)",
        "updated_sum": updated,
    }
    group = ", ".join(
        "a.plan_id" if column == "plan_id" else f"e.{column}" for column in table.keys + table.attributes
    )
    return (
        f"SELECT {group}, {', '.join(aggregates[name] for name in table.sums)}\n"
        f"  FROM {ENTRY_TABLE} e\n  JOIN {ACTION_TABLE} a ON a.id = e.action_id\n"
        f" WHERE e.status = '{VALIDATED}'\n GROUP BY {group}"
    )


def _filled(vendor: str, table: _Table) -> str:
    """The INSERT filling `table` from the entries, in key order (rows of a year stay together)."""
    order = ", ".join(str(position) for position in range(1, len(table.keys) + 1))
    return f"INSERT INTO {table.name} ({', '.join(table.columns)})\n{_expected(vendor, table)}\n ORDER BY {order}"


# PostgreSQL: statement-level triggers reading the transition tables ----------------------------

_PG_ADD = {  # column: (the delta's contribution, how it adds to the stored row)
    "entries": ("sum(sign)", "r.entries + EXCLUDED.entries"),
    "total": ("sum(sign * value)", "r.total + EXCLUDED.total"),
    "id_sum": ("sum(sign * id)", "r.id_sum + EXCLUDED.id_sum"),
    "updated_sum": (
        f"mod(mod(sum(sign * micros), {UPDATED_MODULUS}) + {UPDATED_MODULUS}, {UPDATED_MODULUS})",
        f"mod(r.updated_sum + EXCLUDED.updated_sum, {UPDATED_MODULUS})",
    ),
    "actions": ("sum(sign)", "r.actions + EXCLUDED.actions"),
}


def _pg_upsert(table: _Table, source: str, returning: str = "r.id, r.{count}") -> str:
    """A CTE body adding `source` (rows of the table's keys and attributes, and `sign` plus what
    the sums add up) to `table`, grouped, in key order; it returns the rows it changed."""
    group = ", ".join(table.keys + table.attributes)
    sums = [_PG_ADD[name][0] for name in table.sums]
    updates = [f"{name} = {_PG_ADD[name][1]}" for name in table.sums]
    updates += [f"{name} = EXCLUDED.{name}" for name in table.attributes]
    return (
        f"INSERT INTO {table.name} AS r ({', '.join(table.columns)})\n"
        f"SELECT {group}, {', '.join(sums)}\n  FROM ({source}) s\n GROUP BY {group}\n"
        f"HAVING {' OR '.join(f'{expression} <> 0' for expression in sums)}\n"
        f" ORDER BY {', '.join(table.keys)}\n"
        f"ON CONFLICT ({', '.join(table.keys)}) DO UPDATE SET {', '.join(updates)}\n"
        f"RETURNING {returning.format(count=table.sums[0])}"
    )


def _pg_statement(ctes: list[str | tuple[str, _Table, str]]) -> str:
    """PL/pgSQL: one statement of CTEs — whole definitions, or upserts (name, table, body) — then
    the deletion of the rows the upserts left at zero."""
    upserts = [cte for cte in ctes if not isinstance(cte, str)]
    parts = [cte if isinstance(cte, str) else f"{cte[0]} AS (\n{cte[2]}\n)" for cte in ctes]
    emptied = ", ".join(
        f"ARRAY(SELECT id FROM {name} WHERE {table.sums[0]} = 0)" for name, table, _ in upserts
    )
    targets = ", ".join(f"emptied_{index}" for index in range(len(upserts)))
    lines = [f"WITH {', '.join(parts)}\nSELECT {emptied} INTO {targets};"]
    lines += [
        f"IF cardinality(emptied_{index}) > 0 THEN DELETE FROM {table.name} WHERE id = ANY(emptied_{index}); END IF;"
        for index, (_, table, _) in enumerate(upserts)
    ]
    return "\n".join(lines)


def _pg_function(name: str, body: str) -> str:
    declare = " ".join(f"emptied_{index} bigint[];" for index in range(len(TABLES)))
    return (
        f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $body$\n"
        f"DECLARE {declare}\nBEGIN\n{body}\nRETURN NULL;\nEND\n$body$"
    )


def _pg_entries_changed(relations: tuple[tuple[str, int], ...]) -> str:
    """The body of the triggers on the entries (transition tables `relations`, with their sign)."""
    validated = f"status = '{VALIDATED}'"
    changes = " UNION ALL ".join(
        f"SELECT year, organisation_id, result_type_id, action_id, value, id, updated_at, {sign} AS sign "
        f"FROM {relation} WHERE {validated}"
        for relation, sign in relations
    )
    delta = (
        "SELECT d.year, a.plan_id, d.organisation_id, d.result_type_id, d.action_id, d.sign, d.value, d.id, "
        f"{_micros('postgresql', 'd.updated_at')} AS micros\n"
        f"  FROM ({changes}) d\n  JOIN {ACTION_TABLE} a ON a.id = d.action_id"
    )
    statement = _pg_statement(
        [
            f"delta AS MATERIALIZED (\n{delta}\n)",
            ("plan_rows", PLAN, _pg_upsert(PLAN, "SELECT * FROM delta")),
            ("organisation_rows", ORGANISATION, _pg_upsert(ORGANISATION, "SELECT * FROM delta")),
            (
                "action_rows",
                ACTION,
                _pg_upsert(ACTION, "SELECT * FROM delta", "r.id, r.action_id, r.year, r.plan_id, r.entries"),
            ),
            # the actions that got their first validated entry of a year (+1), or lost their last (-1)
            "turned AS (\n"
            "SELECT u.action_id, u.year, u.plan_id, CASE WHEN u.entries = 0 THEN -1 ELSE 1 END AS sign\n"
            "  FROM action_rows u\n"
            "  JOIN (SELECT action_id, year, sum(sign) AS change FROM delta GROUP BY action_id, year) c "
            "ON c.action_id = u.action_id AND c.year = u.year\n"
            " WHERE u.entries = 0 OR (u.entries > 0 AND u.entries = c.change)\n)",
            ("plan_action_rows", PLAN_ACTIONS, _pg_upsert(PLAN_ACTIONS, "SELECT * FROM turned")),
            (
                "participation_rows",
                PARTICIPATION,
                _pg_upsert(
                    PARTICIPATION,
                    f"SELECT t.year, t.plan_id, p.organisation_id, p.role, t.sign\n  FROM turned t\n"
                    f"  JOIN {PARTICIPATION_TABLE} p ON p.action_id = t.action_id",
                ),
            ),
        ]
    )
    exists = " OR ".join(f"EXISTS (SELECT 1 FROM {relation} WHERE {validated})" for relation, _ in relations)
    actions = " UNION ".join(
        f"SELECT action_id FROM {relation} WHERE {validated}" for relation, _ in relations
    )
    # the actions are locked in a statement of their own, before their plan and participation are
    # read (a concurrent move or participation change of one of them commits first, or waits)
    return (
        f"IF {exists} THEN\n"
        f"PERFORM 1 FROM {ACTION_TABLE} WHERE id IN ({actions}) ORDER BY id FOR SHARE;\n{statement}\nEND IF;"
    )


def _pg_participation_changed(relations: tuple[tuple[str, int], ...]) -> str:
    """The body of the triggers on the participation: the actions with results it is part of."""
    changes = " UNION ALL ".join(
        f"SELECT action_id, organisation_id, role, {sign} AS sign FROM {relation}"
        for relation, sign in relations
    )
    statement = _pg_statement(
        [
            (
                "participation_rows",
                PARTICIPATION,
                _pg_upsert(
                    PARTICIPATION,
                    f"SELECT a.year, a.plan_id, d.organisation_id, d.role, d.sign\n  FROM ({changes}) d\n"
                    f"  JOIN {ACTION.name} a ON a.action_id = d.action_id",
                ),
            )
        ]
    )
    actions = " UNION ".join(f"SELECT action_id FROM {relation}" for relation, _ in relations)
    return (
        f"PERFORM 1 FROM {ACTION_TABLE} WHERE id IN ({actions}) ORDER BY id FOR NO KEY UPDATE;\n{statement}"
    )


def _pg_action_moved() -> str:
    """The body of the trigger on an action's plan: its figures leave the old plan for the new one
    (the UPDATE holds the action row: writers of its entries and participation wait)."""
    moves = "(VALUES (OLD.plan_id, -1), (NEW.plan_id, 1)) m (plan_id, sign)"
    entries = (
        "SELECT e.year, m.plan_id, e.organisation_id, e.result_type_id, m.sign, e.value, e.id, "
        f"{_micros('postgresql', 'e.updated_at')} AS micros\n"
        f"  FROM {ENTRY_TABLE} e CROSS JOIN {moves}\n WHERE e.action_id = NEW.id AND e.status = '{VALIDATED}'"
    )
    return _pg_statement(
        [
            f"moved_years AS (UPDATE {ACTION.name} SET plan_id = NEW.plan_id WHERE action_id = NEW.id RETURNING year)",
            ("plan_rows", PLAN, _pg_upsert(PLAN, entries)),
            ("organisation_rows", ORGANISATION, _pg_upsert(ORGANISATION, entries)),
            (
                "plan_action_rows",
                PLAN_ACTIONS,
                _pg_upsert(
                    PLAN_ACTIONS, f"SELECT y.year, m.plan_id, m.sign FROM moved_years y CROSS JOIN {moves}"
                ),
            ),
            (
                "participation_rows",
                PARTICIPATION,
                _pg_upsert(
                    PARTICIPATION,
                    f"SELECT y.year, m.plan_id, p.organisation_id, p.role, m.sign\n"
                    f"  FROM moved_years y CROSS JOIN {moves}\n"
                    f"  JOIN {PARTICIPATION_TABLE} p ON p.action_id = NEW.id",
                ),
            ),
        ]
    )


def _pg_sql() -> tuple[list[str], list[str]]:
    functions = {
        "oap_rollups_inserted": _pg_entries_changed((("new_rows", 1),)),
        "oap_rollups_updated": _pg_entries_changed((("old_rows", -1), ("new_rows", 1))),
        "oap_rollups_deleted": _pg_entries_changed((("old_rows", -1),)),
        # DELETE, not TRUNCATE: the rollups may be among the tables the TRUNCATE holds open
        "oap_rollups_truncated": "\n".join(f"DELETE FROM {table.name};" for table in TABLES),
        "oap_rollups_action_moved": _pg_action_moved(),
        "oap_rollups_participation_inserted": _pg_participation_changed((("new_rows", 1),)),
        "oap_rollups_participation_updated": _pg_participation_changed((("old_rows", -1), ("new_rows", 1))),
        "oap_rollups_participation_deleted": _pg_participation_changed((("old_rows", -1),)),
        "oap_rollups_participation_truncated": f"DELETE FROM {PARTICIPATION.name};",
    }
    transitions = {
        "inserted": ("INSERT", "REFERENCING NEW TABLE AS new_rows "),
        "updated": ("UPDATE", "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows "),
        "deleted": ("DELETE", "REFERENCING OLD TABLE AS old_rows "),
        "truncated": ("TRUNCATE", ""),
    }
    create = [_pg_function(name, body) for name, body in functions.items()]
    for name, (table, _) in TRIGGERS.items():
        if name == "oap_rollups_action_moved":
            create.append(
                f"CREATE TRIGGER {name} AFTER UPDATE OF plan_id ON {table}\n"
                f"FOR EACH ROW WHEN (OLD.plan_id IS DISTINCT FROM NEW.plan_id) EXECUTE FUNCTION {name}()"
            )
        else:
            event, referencing = transitions[name.rsplit("_", 1)[1]]
            create.append(
                f"CREATE TRIGGER {name} AFTER {event} ON {table}\n"
                f"{referencing}FOR EACH STATEMENT EXECUTE FUNCTION {name}()"
            )
    drop = [f"DROP TRIGGER IF EXISTS {name} ON {table}" for name, (table, _) in TRIGGERS.items()]
    drop += [f"DROP FUNCTION IF EXISTS {name}()" for name in functions]
    return create, drop


# SQLite: row-level triggers -------------------------------------------------------------------


def _sqlite_sql() -> tuple[list[str], list[str]]:
    m = UPDATED_MODULUS
    validated = f"'{VALIDATED}'"

    def plan_of(entry: str) -> str:
        return f"(SELECT plan_id FROM {ACTION_TABLE} WHERE id = {entry}.action_id)"

    def value_of(column: str, entry: str) -> str:
        return plan_of(entry) if column == "plan_id" else f"{entry}.{column}"

    def match(table: _Table, entry: str) -> str:
        return " AND ".join(f"{key} = {value_of(key, entry)}" for key in table.keys)

    added = {  # column: (one entry's contribution, how it adds to the stored row)
        "entries": ("1", "entries + excluded.entries"),
        "total": ("{e}.value", "total + excluded.total"),
        "id_sum": ("{e}.id", "id_sum + excluded.id_sum"),
        "updated_sum": (
            f"{_micros('sqlite', '{e}.updated_at')} % {m}",
            f"(updated_sum + excluded.updated_sum) % {m}",
        ),
        "actions": ("1", "actions + excluded.actions"),
    }
    subtracted = {
        "entries": "entries - 1",
        "total": "total - {e}.value",
        "id_sum": "id_sum - {e}.id",
        "updated_sum": f"((updated_sum - {_micros('sqlite', '{e}.updated_at')} % {m}) % {m} + {m}) % {m}",
    }

    def on_conflict(table: _Table) -> str:
        updates = [f"{name} = {added[name][1]}" for name in table.sums]
        updates += [f"{name} = excluded.{name}" for name in table.attributes]
        return f"ON CONFLICT ({', '.join(table.keys)}) DO UPDATE SET {', '.join(updates)};"

    def add(table: _Table, entry: str, condition: str = "true") -> str:
        values = [value_of(column, entry) for column in table.keys + table.attributes]
        values += [added[name][0].format(e=entry) for name in table.sums]
        return (
            f"INSERT INTO {table.name} ({', '.join(table.columns)}) SELECT {', '.join(values)} WHERE {condition}\n"
            f"{on_conflict(table)}"
        )

    def subtract(table: _Table, entry: str, condition: str = "true") -> str:
        # an UPDATE, never an insert: Django's flush may empty the rollups before the entries
        sets = ", ".join(f"{name} = {subtracted[name].format(e=entry)}" for name in table.sums)
        return (
            f"UPDATE {table.name} SET {sets} WHERE {match(table, entry)} AND {condition};\n"
            f"DELETE FROM {table.name} WHERE {match(table, entry)} AND entries = 0;"
        )

    def action_of(entry: str, column: str) -> str:
        return f"(SELECT {column} FROM {ACTION.name} WHERE action_id = {entry}.action_id AND year = {entry}.year)"

    def appeared(entry: str, condition: str = "true") -> list[str]:
        """The action got its first validated entry of the year: it counts in its plan, with its
        participation (after the upsert into the action rollup)."""
        first = f"{condition} AND {action_of(entry, 'entries')} = 1"
        return [
            f"INSERT INTO {PLAN_ACTIONS.name} ({', '.join(PLAN_ACTIONS.columns)})\n"
            f"SELECT {entry}.year, {action_of(entry, 'plan_id')}, 1 WHERE {first}\n{on_conflict(PLAN_ACTIONS)}",
            f"INSERT INTO {PARTICIPATION.name} ({', '.join(PARTICIPATION.columns)})\n"
            f"SELECT {entry}.year, {action_of(entry, 'plan_id')}, p.organisation_id, p.role, 1\n"
            f"  FROM {PARTICIPATION_TABLE} p WHERE p.action_id = {entry}.action_id AND {first}\n"
            f"{on_conflict(PARTICIPATION)}",
        ]

    def vanished(entry: str, condition: str = "true") -> list[str]:
        """It lost its last one: it counts no more (before its row in the action rollup goes)."""
        last = f"year = {entry}.year AND plan_id = {action_of(entry, 'plan_id')} AND {condition} AND {action_of(entry, 'entries')} = 0"
        return [
            f"UPDATE {PLAN_ACTIONS.name} SET actions = actions - 1 WHERE {last};",
            f"DELETE FROM {PLAN_ACTIONS.name} WHERE year = {entry}.year AND actions = 0;",
            f"UPDATE {PARTICIPATION.name} SET actions = actions - 1\n WHERE {last}\n"
            f"   AND (organisation_id, role) IN "
            f"(SELECT organisation_id, role FROM {PARTICIPATION_TABLE} WHERE action_id = {entry}.action_id);",
            f"DELETE FROM {PARTICIPATION.name} WHERE year = {entry}.year AND actions = 0;",
        ]

    def entry_added(condition: str = "true") -> list[str]:
        return [
            *(add(table, "NEW", condition) for table in (PLAN, ORGANISATION, ACTION)),
            *appeared("NEW", condition),
        ]

    def entry_removed(condition: str = "true") -> list[str]:
        return [
            *(subtract(table, "OLD", condition) for table in (PLAN, ORGANISATION)),
            f"UPDATE {ACTION.name} SET entries = entries - 1 WHERE {match(ACTION, 'OLD')} AND {condition};",
            *vanished("OLD", condition),
            f"DELETE FROM {ACTION.name} WHERE {match(ACTION, 'OLD')} AND entries = 0;",
        ]

    # an action moved to another plan: its figures leave the old plan and join the new one
    micros = f"{_micros('sqlite', 'e.updated_at')} % {m}"
    moved = []
    for table in (PLAN, ORGANISATION):
        group = ", ".join(f"e.{key}" for key in table.keys if key != "plan_id")
        for plan, sign in (("OLD.plan_id", -1), ("NEW.plan_id", 1)):
            columns = ", ".join(plan if key == "plan_id" else f"e.{key}" for key in table.keys)
            sums = {
                "entries": f"{sign} * count(*)",
                "total": f"{sign} * sum(e.value)",
                "id_sum": f"{sign} * sum(e.id)",
                "updated_sum": f"(({sign} * (sum({micros}) % {m})) % {m} + {m}) % {m}",
            }
            moved.append(
                f"INSERT INTO {table.name} ({', '.join(table.columns)})\n"
                f"SELECT {columns}, {', '.join(sums[name] for name in table.sums)}\n"
                f"  FROM {ENTRY_TABLE} e WHERE e.action_id = NEW.id AND e.status = {validated} GROUP BY {group}\n"
                f"{on_conflict(table)}"
            )
        moved.append(f"DELETE FROM {table.name} WHERE plan_id = OLD.plan_id AND entries = 0;")
    for plan, sign in (("OLD.plan_id", -1), ("NEW.plan_id", 1)):
        moved.append(
            f"INSERT INTO {PLAN_ACTIONS.name} ({', '.join(PLAN_ACTIONS.columns)})\n"
            f"SELECT a.year, {plan}, {sign} FROM {ACTION.name} a WHERE a.action_id = NEW.id\n"
            f"{on_conflict(PLAN_ACTIONS)}"
        )
    moved.append(f"DELETE FROM {PLAN_ACTIONS.name} WHERE plan_id = OLD.plan_id AND actions = 0;")
    for plan, sign in (("OLD.plan_id", -1), ("NEW.plan_id", 1)):
        moved.append(
            f"INSERT INTO {PARTICIPATION.name} ({', '.join(PARTICIPATION.columns)})\n"
            f"SELECT a.year, {plan}, p.organisation_id, p.role, {sign}\n"
            f"  FROM {ACTION.name} a JOIN {PARTICIPATION_TABLE} p ON p.action_id = a.action_id "
            f"WHERE a.action_id = NEW.id\n{on_conflict(PARTICIPATION)}"
        )
    moved.append(f"DELETE FROM {PARTICIPATION.name} WHERE plan_id = OLD.plan_id AND actions = 0;")
    moved.append(f"UPDATE {ACTION.name} SET plan_id = NEW.plan_id WHERE action_id = NEW.id;")

    # a participation added or removed: the actions with results it is part of
    participation_added = (
        f"INSERT INTO {PARTICIPATION.name} ({', '.join(PARTICIPATION.columns)})\n"
        f"SELECT a.year, a.plan_id, NEW.organisation_id, NEW.role, 1 FROM {ACTION.name} a "
        f"WHERE a.action_id = NEW.action_id\n{on_conflict(PARTICIPATION)}"
    )
    participation_removed = (
        f"UPDATE {PARTICIPATION.name} SET actions = actions - 1\n"
        f" WHERE organisation_id = OLD.organisation_id AND role = OLD.role AND (year, plan_id) IN "
        f"(SELECT year, plan_id FROM {ACTION.name} WHERE action_id = OLD.action_id);\n"
        f"DELETE FROM {PARTICIPATION.name} WHERE organisation_id = OLD.organisation_id AND actions = 0;"
    )

    def trigger(name: str, event: str, table: str, when: str, lines: list[str]) -> str:
        body = "\n".join(lines)
        when = f"WHEN {when} " if when else ""
        return f"CREATE TRIGGER {name} AFTER {event} ON {table}\n{when}BEGIN\n{body}\nEND"

    is_validated, was_validated = f"NEW.status = {validated}", f"OLD.status = {validated}"
    create = [
        trigger("oap_rollups_inserted", "INSERT", ENTRY_TABLE, is_validated, entry_added()),
        trigger(
            "oap_rollups_updated",
            "UPDATE",
            ENTRY_TABLE,
            f"{was_validated} OR {is_validated}",
            [*entry_removed(was_validated), *entry_added(is_validated)],
        ),
        trigger("oap_rollups_deleted", "DELETE", ENTRY_TABLE, was_validated, entry_removed()),
        trigger(
            "oap_rollups_action_moved",
            "UPDATE OF plan_id",
            ACTION_TABLE,
            "OLD.plan_id IS NOT NEW.plan_id",
            moved,
        ),
        trigger(
            "oap_rollups_participation_inserted", "INSERT", PARTICIPATION_TABLE, "", [participation_added]
        ),
        trigger(
            "oap_rollups_participation_updated",
            "UPDATE",
            PARTICIPATION_TABLE,
            "",
            [participation_removed, participation_added],
        ),
        trigger(
            "oap_rollups_participation_deleted", "DELETE", PARTICIPATION_TABLE, "", [participation_removed]
        ),
    ]
    drop = [
        f"DROP TRIGGER IF EXISTS {name}" for name, (_, vendors) in TRIGGERS.items() if "sqlite" in vendors
    ]
    return create, drop


def trigger_sql(vendor: str) -> tuple[list[str], list[str]]:
    """The statements creating the rollup triggers on `vendor`, and those dropping them."""
    if vendor == "postgresql":
        return _pg_sql()
    if vendor == "sqlite":
        return _sqlite_sql()
    raise NotImplementedError(f"no result rollup triggers for {vendor}")


# --- installing, rebuilding, checking --------------------------------------------------------


#: PostgreSQL: the rollup rows are updated in place all the time; room left on their pages keeps
#: those updates HOT (no index to maintain): a bulk validation then costs a third
FILLFACTOR = 50


def migration_sql(vendor: str) -> dict[str, list[str]]:
    """The statements installing the rollups on `vendor` — table storage, triggers, backfill from
    the entries — and those removing them. Migration 0005 holds a copy, as it was when it ran (a
    change here comes with a migration of its own; a test checks they agree)."""
    create, drop = trigger_sql(vendor)
    storage = [f"ALTER TABLE {table.name} SET (fillfactor = {FILLFACTOR})" for table in TABLES]
    backfill = [_filled(vendor, table) for table in TABLES]
    if vendor == "postgresql":
        return {
            "forward": storage + create + backfill + [f"ANALYZE {table.name}" for table in TABLES],
            "backward": drop,
        }
    return {"forward": create + backfill, "backward": drop}


def expected_triggers(connection) -> set[str]:
    return {name for name, (_, vendors) in TRIGGERS.items() if connection.vendor in vendors}


def installed_triggers(connection) -> set[str]:
    """The names of the rollup triggers present in the database."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT tgname FROM pg_trigger WHERE tgname LIKE 'oap_rollups_%' AND NOT tgisinternal"
            )
        else:
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'oap_rollups_%'"
            )
        return {name for (name,) in cursor.fetchall()}


def rebuild_rollups(using: str = DEFAULT_DB_ALIAS) -> dict[str, int]:
    """Recompute every rollup from the entries, in one transaction; the rows per table.

    On PostgreSQL the entries, actions and participation are locked against writes meanwhile
    (SHARE), so that no write slips in between the count and the commit.
    """
    connection = connections[using]
    counts = {}
    with transaction.atomic(using=using), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"LOCK TABLE {ENTRY_TABLE}, {ACTION_TABLE}, {PARTICIPATION_TABLE} IN SHARE MODE")
            cursor.execute(f"TRUNCATE {', '.join(table.name for table in TABLES)}")
        else:
            for table in TABLES:
                cursor.execute(f"DELETE FROM {table.name}")
        for table in TABLES:
            cursor.execute(_filled(connection.vendor, table))
            counts[table.name] = cursor.rowcount
        if connection.vendor == "postgresql":  # fresh statistics for the compile's plans
            for table in TABLES:
                cursor.execute(f"ANALYZE {table.name}")
    return counts


@dataclass(frozen=True)
class Drift:
    """A rollup row that differs from the entries: `expected` from the entries, `actual` stored."""

    table: str
    key: tuple
    expected: tuple | None
    actual: tuple | None

    def __str__(self) -> str:
        table = next(table for table in TABLES if table.name == self.table)
        key = ", ".join(f"{name}={value}" for name, value in zip(table.keys, self.key, strict=True))
        values = ", ".join(table.attributes + table.sums)
        return f"{self.table} ({key}): ({values}) expected {self.expected}, stored {self.actual}"


_MILLI = Decimal("0.001")


def _normalised(table: _Table, row) -> tuple[tuple, tuple]:
    """(key, values) of a row of `table`'s columns, comparable whatever the backend."""
    key, values = tuple(row[: len(table.keys)]), []
    for name, value in zip(table.attributes + table.sums, row[len(table.keys) :], strict=True):
        if name == "total":  # SQLite keeps decimals as floats: compared to the thousandth
            value = Decimal(repr(value) if isinstance(value, float) else value or 0).quantize(_MILLI)
        else:
            value = int(value or 0)
        values.append(value)
    return key, tuple(values)


def rollup_drift(using: str = DEFAULT_DB_ALIAS) -> list[Drift]:
    """Every difference between the rollups and what the entries say they should hold."""
    connection = connections[using]
    drift: list[Drift] = []
    snapshot = connection.vendor == "postgresql" and not connection.in_atomic_block
    with transaction.atomic(using=using), connection.cursor() as cursor:
        if snapshot:  # both sides from one snapshot
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        for table in TABLES:
            cursor.execute(_expected(connection.vendor, table))
            expected = dict(_normalised(table, row) for row in cursor.fetchall())
            cursor.execute(f"SELECT {', '.join(table.columns)} FROM {table.name}")
            actual = dict(_normalised(table, row) for row in cursor.fetchall())
            for key in sorted(expected.keys() | actual.keys(), key=lambda k: tuple(map(str, k))):
                if expected.get(key) != actual.get(key):
                    drift.append(Drift(table.name, key, expected.get(key), actual.get(key)))
    return drift
