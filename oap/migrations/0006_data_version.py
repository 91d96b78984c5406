"""Empty: this migration once installed the data version (a trigger-bumped counter the API lists
were cached under). 0008 retired it and drops it from databases that applied it.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("oap", "0005_result_rollups"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = []
