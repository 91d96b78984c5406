"""Webhooks are the hub's: analysts (of the hub, `notifications.access.can_manage_webhooks`) register them
and read their delivery logs. Every role reads and marks its own notifications and keeps its own
settings (the scope in notifications/access.py narrows them to the user's own rows)."""

from django.db import migrations

OWN = ["view_notification", "change_notification", "view_preference", "add_preference", "change_preference"]
ROLE_PERMISSIONS = {
    "coordinator": OWN,
    "viewer": OWN,
    "analyst": [
        *OWN,
        "view_webhook",
        "add_webhook",
        "change_webhook",
        "delete_webhook",
        "view_webhookdelivery",
    ],
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
        permissions = Permission.objects.filter(content_type__app_label="notifications", codename__in=codenames)
        missing = set(codenames) - set(permissions.values_list("codename", flat=True))
        if missing:
            raise RuntimeError(f"permissions missing for role {role}: {sorted(missing)}")
        group.permissions.add(*permissions)


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permissions = Permission.objects.filter(content_type__app_label="notifications")
    for group in Group.objects.filter(name__in=ROLE_PERMISSIONS):
        group.permissions.remove(*permissions)


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0001_initial"),
        ("oap", "0002_role_groups"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
