"""Reporting periods in the admin: the deadlines the hub sets (everyone else reads them)."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from . import access
from .admin import OapModelAdmin
from .models import ReportingPeriod


@admin.register(ReportingPeriod)
class ReportingPeriodAdmin(OapModelAdmin):
    list_display = ("name", "results_due", "validation_closes", "note")
    list_filter = ("year",)
    search_fields = ("note",)
    fields = ("year", "half_year", "results_due", "validation_closes", "note")
    ordering = ("-year", "half_year")

    @admin.display(description=_("period"), ordering="year")
    def name(self, obj: ReportingPeriod) -> str:
        return obj.name

    def has_add_permission(self, request):
        return access.scope_q(ReportingPeriod, request.user, "add") is not access.NOTHING
