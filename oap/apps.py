from django.apps import AppConfig


class OapConfig(AppConfig):
    name = "oap"
    verbose_name = "EMPACT operational action plans"
    default_auto_field = "django.db.models.BigAutoField"
