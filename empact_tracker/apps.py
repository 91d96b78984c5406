"""The admin app, configured to use the EMPACT admin site (wiring only: no app imports this package)."""

from django.contrib.admin.apps import AdminConfig


class EmpactAdminConfig(AdminConfig):
    """`django.contrib.admin` with `EmpactAdminSite` as `admin.site` (its index is the dashboard)."""

    default_site = "empact_tracker.admin_site.EmpactAdminSite"
