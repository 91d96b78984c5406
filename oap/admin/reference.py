"""Reference data: organisations, cycles, priorities, CHSGs, counters and plans."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from ..models import (
    CommonHorizontalStrategicGoal,
    Cycle,
    OperationalActionPlan,
    Organisation,
    PriorityCrimeArea,
    ResultType,
)
from .base import OapModelAdmin, VisibleActionCountMixin, visible_count
from .filters import PriorityListFilter


@admin.register(Organisation)
class OrganisationAdmin(VisibleActionCountMixin, OapModelAdmin):
    list_display = ("code", "name", "kind", "is_hub", "action_count")
    list_display_links = ("code", "name")
    list_filter = ("kind", "is_hub")
    search_fields = ("code", "name")
    ordering = ("name",)
    action_count_path = "participations__action"


@admin.register(Cycle)
class CycleAdmin(OapModelAdmin):
    list_display = ("code", "name", "start_year", "end_year", "priority_count")
    search_fields = ("code", "name")
    ordering = ("start_year",)

    def get_queryset(self, request):
        count = visible_count(request.user, "priorities", PriorityCrimeArea)
        return super().get_queryset(request).annotate(_priority_count=count)

    @admin.display(description=_("priorities"), ordering="_priority_count")
    def priority_count(self, obj: Cycle) -> int:
        return obj._priority_count


@admin.register(PriorityCrimeArea)
class PriorityCrimeAreaAdmin(OapModelAdmin):
    list_display = ("number", "code", "name", "cycle", "plan_count")
    list_display_links = ("code", "name")
    list_filter = ("cycle",)
    list_select_related = ("cycle",)
    search_fields = ("code", "name")
    ordering = ("cycle__start_year", "number")

    def get_queryset(self, request):
        count = visible_count(request.user, "plans", OperationalActionPlan)
        return super().get_queryset(request).annotate(_plan_count=count)

    @admin.display(description=_("plans"), ordering="_plan_count")
    def plan_count(self, obj: PriorityCrimeArea) -> int:
        return obj._plan_count


@admin.register(CommonHorizontalStrategicGoal)
class CommonHorizontalStrategicGoalAdmin(VisibleActionCountMixin, OapModelAdmin):
    list_display = ("number", "code", "name", "action_count")
    list_display_links = ("code", "name")
    search_fields = ("code", "name")
    ordering = ("number",)


@admin.register(ResultType)
class ResultTypeAdmin(OapModelAdmin):
    list_display = ("code", "name", "unit", "category", "parent", "order")
    list_display_links = ("code", "name")
    list_filter = ("category", "unit")
    list_select_related = ("parent",)
    search_fields = ("code", "name")
    autocomplete_fields = ("parent",)
    ordering = ("order", "code")


# --- Plans and actions --------------------------------------------------------------------


@admin.register(OperationalActionPlan)
class OperationalActionPlanAdmin(VisibleActionCountMixin, OapModelAdmin):
    list_display = ("code", "name", "priority", "driver", "years", "action_count")
    list_display_links = ("code", "name")
    list_filter = ("priority__cycle", ("priority", PriorityListFilter), "start_year")
    list_select_related = ("priority__cycle", "driver")
    search_fields = ("code", "name", "priority__code", "priority__name")
    autocomplete_fields = ("driver", "co_drivers")
    ordering = ("code",)

    @admin.display(description=_("years"), ordering="start_year")
    def years(self, obj: OperationalActionPlan) -> str:
        if obj.start_year == obj.end_year:
            return str(obj.start_year)
        return f"{obj.start_year}–{obj.end_year}"
