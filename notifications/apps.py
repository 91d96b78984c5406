from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = "Notifications and webhooks"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from oap import access

        from .access import notification_scope, webhook_scope

        for label in ("notifications.Notification", "notifications.Preference"):
            access.register_scope(label, notification_scope)
        for label in ("notifications.Webhook", "notifications.WebhookDelivery"):
            access.register_scope(label, webhook_scope)
