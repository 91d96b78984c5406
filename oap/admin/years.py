"""Years and their deadlines in the admin: year locks (the hub's) and reporting periods (the deadlines the hub sets, everyone else reads)."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .. import access, services
from ..models import ReportingPeriod, YearLock
from .base import OapModelAdmin


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


@admin.register(YearLock)
class YearLockAdmin(OapModelAdmin):
    """Locking a year freezes its entries; deleting the lock unlocks it. Both for the hub."""

    list_display = ("year", "reason", "locked_by", "locked_at")
    list_select_related = ("locked_by__organisation",)
    search_fields = ("reason",)
    fields = ("year", "reason", "locked_by", "locked_at")
    readonly_fields = ("locked_by", "locked_at")
    ordering = ("-year",)

    def has_add_permission(self, request):
        return access.can_manage_years(request.user)

    def has_change_permission(self, request, obj=None):
        return False  # a lock is added or removed, never edited

    def has_delete_permission(self, request, obj=None):
        return access.can_manage_years(request.user) and super().has_delete_permission(request, obj)

    def save_model(self, request, obj, form, change):
        lock = services.year_lock(year=obj.year, by=request.user, reason=obj.reason)
        obj.pk, obj.locked_by, obj.locked_at = lock.pk, lock.locked_by, lock.locked_at

    def delete_model(self, request, obj):
        services.year_unlock(year=obj.year, by=request.user)

    def delete_queryset(self, request, queryset):
        for lock in queryset:
            services.year_unlock(year=lock.year, by=request.user)
