"""Drop the result rollups (0005) and the data version (0006): tables, triggers and functions.

The factsheet compile reads the validated entries themselves (reporting/compile.py), and the API
lists are no longer cached under a data version, so nothing reads or needs these any more.

PostgreSQL: dropping a trigger function with CASCADE drops the triggers that call it (the rollup
triggers on oap_resultentry, oap_operationalaction and oap_participation; the data-version
trigger on each of the 18 tables 0006 listed). SQLite: 0005's row-level triggers by name (0006
installed nothing there). Then the five rollup tables, on both.

0005 and 0006 no longer create any of this, so on a fresh database every statement finds nothing
to drop (IF EXISTS); on one that applied their earlier versions it removes what they made.

PostgreSQL also gets statistics of how many distinct (year, action) pairs the entries hold: the
compile counts the actions with results per year (`SELECT DISTINCT year, action_id` over the
validated entries), which the planner, multiplying the columns' own counts, overestimated three
times at scale (61 744 against 19 895 for two years of a million entries; 27 203 with these
statistics); with that figure it hashes the smaller side when it joins those actions to their participants, and the whole compile
is estimated below `jit_above_cost`, so it is not JIT-compiled for nothing.

Irreversible: going back would need the rollups rebuilt and their triggers reinstalled by the
code this migration retires; restore a backup taken before it instead.
"""

from django.db import migrations
from django.db.migrations.exceptions import IrreversibleError

ROLLUP_TABLES = (
    "oap_rollup_plan",
    "oap_rollup_organisation",
    "oap_rollup_action",
    "oap_rollup_plan_actions",
    "oap_rollup_participation",
)
DROP_ROLLUP_TABLES = [f"DROP TABLE IF EXISTS {table}" for table in ROLLUP_TABLES]
POSTGRESQL = [
    *(
        f"DROP FUNCTION IF EXISTS oap_rollups_{name}() CASCADE"
        for name in (
            "inserted",
            "updated",
            "deleted",
            "truncated",
            "action_moved",
            "participation_inserted",
            "participation_updated",
            "participation_deleted",
            "participation_truncated",
        )
    ),
    "DROP FUNCTION IF EXISTS oap_datastamp_bump() CASCADE",
    "DROP TABLE IF EXISTS oap_datastamp",
    *DROP_ROLLUP_TABLES,
    "CREATE STATISTICS IF NOT EXISTS oap_resultentry_year_action (ndistinct) ON year, action_id FROM oap_resultentry",
    "ANALYZE oap_resultentry",
]
SQLITE = [
    *(
        f"DROP TRIGGER IF EXISTS oap_rollups_{name}"
        for name in (
            "inserted",
            "updated",
            "deleted",
            "action_moved",
            "participation_inserted",
            "participation_updated",
            "participation_deleted",
        )
    ),
    *DROP_ROLLUP_TABLES,
]


def drop_retired(apps, schema_editor):
    statements = {"postgresql": POSTGRESQL, "sqlite": SQLITE}.get(schema_editor.connection.vendor, [])
    for statement in statements:
        schema_editor.execute(statement)


def irreversible(apps, schema_editor):
    raise IrreversibleError(
        "oap 0008 dropped the result rollups and the data version for good: the code that kept them "
        "is gone. To return to an older release, restore a database backup taken before 0008."
    )


class Migration(migrations.Migration):
    dependencies = [
        ("oap", "0007_history_entry_indexes"),
    ]

    operations = [
        migrations.RunPython(drop_retired, irreversible),
    ]
