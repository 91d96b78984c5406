"""The admin site: its index is a dashboard made of panels the apps contribute.

Each installed app may have a `dashboard` module with
- `panels(request) -> list[dict]`: boxes shown above the app list (see `templates/admin/index.html`:
  `title`, `count`, `items` [{`label`, `url`, `note`}], `link` {`url`, `label`}, `empty`, `help`), and
- `abilities(request) -> list[str]`: short lines saying what the user's role lets them do there.

The site imports the apps' modules, never the other way round: apps stay independent of the project.
"""

from __future__ import annotations

from importlib import import_module

from django.apps import apps
from django.contrib import admin
from django.utils.module_loading import module_has_submodule

DASHBOARD_MODULE = "dashboard"


def dashboard_modules() -> list:
    """The `dashboard` modules of the installed apps, in INSTALLED_APPS order."""
    modules = []
    for config in apps.get_app_configs():
        if module_has_submodule(config.module, DASHBOARD_MODULE):
            modules.append(import_module(f"{config.name}.{DASHBOARD_MODULE}"))
    return modules


class EmpactAdminSite(admin.AdminSite):
    site_header = "EMPACT Tracker"
    site_title = "EMPACT Tracker"
    index_title = "Operational action plans and results"

    def dashboard(self, request) -> dict:
        panels: list[dict] = []
        abilities: list[str] = []
        for module in dashboard_modules():
            if hasattr(module, "panels"):
                panels.extend(module.panels(request))
            if hasattr(module, "abilities"):
                abilities.extend(module.abilities(request))
        return {"panels": panels, "abilities": abilities}

    def index(self, request, extra_context=None):
        context = {"dashboard": self.dashboard(request), **(extra_context or {})}
        return super().index(request, context)
