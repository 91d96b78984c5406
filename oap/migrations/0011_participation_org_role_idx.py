"""The participations of one organisation in one role (the access rule's "leads"), by index."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("oap", "0010_api_idempotency_keys")]

    operations = [
        migrations.AddIndex(
            model_name="participation",
            index=models.Index(fields=["organisation", "role", "action"], name="oap_particip_org_role_idx"),
        ),
    ]
