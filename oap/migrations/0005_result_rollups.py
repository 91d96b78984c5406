"""The result entries' organisation index, dropped (db_index=False).

This migration once also created the rollups of the validated entries (oap_rollup_* tables and
the triggers that kept them); 0008 retired them, so they are no longer created here. 0008 drops
them from databases that applied the earlier version of this migration.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("oap", "0004_result_list_indexes"),
    ]

    operations = [
        migrations.AlterField(
            model_name="resultentry",
            name="organisation",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="results",
                to="oap.organisation",
                verbose_name="organisation",
            ),
        ),
    ]
