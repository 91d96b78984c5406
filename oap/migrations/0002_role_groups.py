"""The roles as Django groups with model permissions: coordinator, analyst, viewer.

A user's `role` field names their group (see `oap.access.AccessBackend`), so these groups are the
one place where what a role may do on each model is kept; they can be edited in the admin.
"""

from django.db import migrations

OAP_MODELS = [
    "organisation",
    "cycle",
    "prioritycrimearea",
    "commonhorizontalstrategicgoal",
    "operationalactionplan",
    "operationalaction",
    "participation",
    "resulttype",
    "resultentry",
    "yearlock",
]

VIEW = [f"view_{model}" for model in OAP_MODELS]

ROLE_PERMISSIONS = {
    "viewer": VIEW,
    "coordinator": VIEW
    + [
        f"{verb}_{model}"
        for model in ("operationalaction", "participation", "resultentry")
        for verb in ("add", "change", "delete")
    ]
    + ["submit_resultentry", "validate_resultentry"],
    "analyst": VIEW + ["validate_resultentry", "add_yearlock", "delete_yearlock"],
}


def create_role_groups(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, codenames in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        permissions = Permission.objects.filter(content_type__app_label="oap", codename__in=codenames)
        missing = set(codenames) - set(permissions.values_list("codename", flat=True))
        if missing:
            raise RuntimeError(f"permissions missing for role {role}: {sorted(missing)}")
        group.permissions.set(permissions)


def remove_role_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLE_PERMISSIONS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("oap", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_role_groups, remove_role_groups)]
