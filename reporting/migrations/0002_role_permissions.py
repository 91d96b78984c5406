"""Factsheet permissions for the role groups (created by oap's 0002_role_groups).

Every role reads factsheets (published ones, see `oap.access`); analysts also compile
and publish them (publishing also needs the hub, since it locks the year).
"""

from django.db import migrations

ROLE_PERMISSIONS = {
    "viewer": ["view_factsheet", "view_factsheetfile"],
    "coordinator": ["view_factsheet", "view_factsheetfile"],
    "analyst": ["view_factsheet", "view_factsheetfile", "compile_factsheet", "publish_factsheet"],
}


def grant(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, codenames in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        permissions = Permission.objects.filter(content_type__app_label="reporting", codename__in=codenames)
        missing = set(codenames) - set(permissions.values_list("codename", flat=True))
        if missing:
            raise RuntimeError(f"permissions missing for role {role}: {sorted(missing)}")
        group.permissions.add(*permissions)


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permissions = Permission.objects.filter(content_type__app_label="reporting")
    for group in Group.objects.filter(name__in=ROLE_PERMISSIONS):
        group.permissions.remove(*permissions)


class Migration(migrations.Migration):
    dependencies = [
        ("reporting", "0001_initial"),
        ("oap", "0002_role_groups"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
