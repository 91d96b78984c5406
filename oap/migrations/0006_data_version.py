"""The data version (oap/freshness.py): a sharded counter that statement-level triggers bump on
every write to the tables the API lists read. PostgreSQL only; nothing on SQLite.

The SQL is written out here (not imported) so that this migration stays what it was when it ran.
"""

from django.db import migrations

SHARDS = 16
TABLES = (
    "oap_organisation",
    "oap_cycle",
    "oap_prioritycrimearea",
    "oap_commonhorizontalstrategicgoal",
    "oap_operationalactionplan",
    "oap_operationalactionplan_co_drivers",
    "oap_operationalaction",
    "oap_operationalaction_chsgs",
    "oap_participation",
    "oap_resulttype",
    "oap_resultentry",
    "oap_yearlock",
    "oap_user",
    "oap_user_groups",
    "oap_user_user_permissions",
    "auth_group",
    "auth_group_permissions",
    "auth_permission",
)

FORWARD = [
    "CREATE TABLE oap_datastamp (shard smallint PRIMARY KEY, version bigint NOT NULL, stamp bigint NOT NULL)",
    f"INSERT INTO oap_datastamp SELECT s, 0, 0 FROM generate_series(0, {SHARDS - 1}) s",
    f"""
    CREATE FUNCTION oap_datastamp_bump() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE oap_datastamp
           SET version = version + 1, stamp = (random() * 9e18)::bigint
         WHERE shard = mod(txid_current(), {SHARDS});
        RETURN NULL;
    END $$
    """,
    *(
        f"CREATE TRIGGER oap_datastamp_bump AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
        "FOR EACH STATEMENT EXECUTE FUNCTION oap_datastamp_bump()"
        for table in TABLES
    ),
]
BACKWARD = [
    *(f"DROP TRIGGER IF EXISTS oap_datastamp_bump ON {table}" for table in TABLES),
    "DROP FUNCTION IF EXISTS oap_datastamp_bump()",
    "DROP TABLE IF EXISTS oap_datastamp",
]


def run(statements):
    def operation(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for statement in statements:
            schema_editor.execute(statement)

    return operation


class Migration(migrations.Migration):
    dependencies = [
        ("oap", "0005_result_rollups"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(run(FORWARD), run(BACKWARD))]
