"""Drop the result rollups (0005) and the data version (0006): tables, triggers and functions.

The factsheet compile reads the validated entries themselves (reporting/compile.py), and the API
lists are no longer cached under a data version, so nothing reads or needs these any more.

PostgreSQL: dropping a trigger function with CASCADE drops the triggers that call it (the rollup
triggers on oap_resultentry, oap_operationalaction and oap_participation; the data-version
trigger on each of the 18 tables 0006 listed). SQLite: 0005's row-level triggers by name (0006
installed nothing there). Then the rollup tables go with their models.

Irreversible: going back would need the rollups rebuilt and their triggers reinstalled by the
code this migration retires; restore a backup taken before it instead.
"""

from django.db import migrations
from django.db.migrations.exceptions import IrreversibleError

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
]
SQLITE = [
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
]


def drop_triggers(apps, schema_editor):
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
        migrations.DeleteModel(name="ActionRollupByPlan"),
        migrations.DeleteModel(name="ParticipationRollup"),
        migrations.DeleteModel(name="ResultRollupByAction"),
        migrations.DeleteModel(name="ResultRollupByOrganisation"),
        migrations.DeleteModel(name="ResultRollupByPlan"),
        # last, so that going backwards stops here first, before anything is re-created
        migrations.RunPython(drop_triggers, irreversible),
    ]
