from django.apps import AppConfig


class ReportingConfig(AppConfig):
    name = "reporting"
    verbose_name = "Reporting"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from oap import access

        from .access import factsheet_scope

        access.register_scope("reporting.Factsheet", factsheet_scope)
