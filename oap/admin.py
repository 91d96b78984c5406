"""The coordinators' admin: every oap model, scoped by the access rule, writes through services.

Every ModelAdmin and inline inherits from `OapAdminMixin`, the one place where querysets,
object permissions, foreign-key choices, autocompletes and history pages ask `oap.access`.
Changelists cost a constant number of queries, and every total counts visible rows only.

## Adding an admin view (the rule)

Every page the admin serves obeys `oap/access.py` and nothing else; the bases (`oap/admin_base.py`
and `OapAdminMixin` below) make that the default, and `tests/admin/test_crawler.py` checks every URL of every registered admin, as
every demo role, against a hidden, a view-only and a changeable row. A new view must:

- **inherit the bases**: a ModelAdmin of either app derives from `ScopedModelAdmin` (oap models:
  `OapModelAdmin`; with the history pages of django-simple-history), an inline from
  `OapTabularInline`. They give
  - querysets narrowed by `restrict_queryset` (`access.restrict`, or the model's own rule such
    as `reporting.access.factsheet_scope`), used by changelists, object pages, inlines, "related only"
    filters and autocompletes;
  - object permissions from `user.has_perm(perm, obj)`, which the access backend answers;
  - changelists that take only the parameters the admin declares (`list_filter`,
    `date_hierarchy`, search, ordering, pagination): any other lookup in the URL is refused
    with 400, the same for every model, before a row is read (`DeclaredChangeList`);
  - history pages that are read-only for everybody: the list and each past version are shown
    to those who may see the object (a hidden object answers like a missing id: 404), a past
    version is rendered with every field read-only, and anything but GET gets 405. Nothing is
    ever reverted from the admin: a correction is a normal edit through the services.
- **find its object through the scoped queryset**: `self.get_object(request, unquote(id))`
  (never `Model.objects.get`); when it returns None answer exactly as for a missing id
  (`self._get_obj_does_not_exist_redirect(...)` for pages, `Http404` for files and JSON), so
  that a hidden row and a missing id cannot be told apart.
- **check the write before doing it** with the access rule (`has_*_permission(request, obj)`,
  `access.can`) and **write only through a service** (`oap.services`, `reporting.services`):
  `save_model`, `delete_model`, `delete_queryset` and list actions call the service, which
  checks again and raises `Hidden`, `PermissionDenied`, `Frozen` or `ValidationError`; the
  view turns them into 404-like, 403, 409 and 400 answers, never a 500. (Actions, participations
  and reference data are still saved by the ModelAdmin itself, after the same object checks:
  they move to services with the services rewrite.)
- **count only visible rows**: a column or panel total is `visible_count(...)` (or a count of
  a restricted queryset), never a plain `Count` over a relation.
- **export through `oap.export`** from the changelist's own queryset
  (`ExportAdminMixin.export_view`), so an export holds exactly the rows the list shows.
- be reachable from `get_urls()` of its ModelAdmin (wrapped in `admin_site.admin_view`): the
  crawler finds it there and tries it as every role without being told.
"""

from __future__ import annotations

from django import forms
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db.models import Exists, OuterRef, QuerySet, Subquery, Value
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from . import access, selectors, services
from .admin_base import DeclaredLookupsMixin, ScopedModelAdmin, visible_count
from .admin_grid import ResultsGridAdminMixin, grid_url, results_list_url, summary_lines
from .admin_import import ActionExportAdminMixin
from .admin_lists import truncated, with_title, years
from .choices import EntryStatus, ParticipationRole
from .models import (
    CommonHorizontalStrategicGoal,
    Cycle,
    ImportJob,
    OperationalAction,
    OperationalActionPlan,
    Organisation,
    Participation,
    PriorityCrimeArea,
    ResultEntry,
    ResultType,
    User,
    YearLock,
)

# --- Shared bases -------------------------------------------------------------------------


def _is_autocomplete(request: HttpRequest) -> bool:
    match = getattr(request, "resolver_match", None)
    return bool(match and match.url_name == "autocomplete")


class OapAdminMixin(DeclaredLookupsMixin):
    """Where the admin asks the access rule (oap/access.py) — and nowhere else.

    - `get_queryset` feeds changelists, change/delete/history views, inlines, "related only"
      list filters and the autocomplete endpoint (which asks the target model's admin): rows
      the user may see.
    - `has_view/change/delete_permission(request, obj)` ask `user.has_perm(perm, obj)`, which
      the access backend answers from the same Q objects.
    - `restrict_choices` narrows what a relation field may point to — in selects and in the
      autocompletes serving that field.
    """

    def restrict_queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        """Rows of this admin's model the request's user may see."""
        return access.restrict(queryset, request.user, "view")

    def restrict_choices(self, request: HttpRequest, db_field, queryset: QuerySet) -> QuerySet:
        """Rows a relation field may point to: by default, those the user may see."""
        return access.restrict(queryset, request.user, "view")

    def get_queryset(self, request):
        return self.restrict_queryset(request, super().get_queryset(request))

    def _object_permission(self, request, action: str, obj) -> bool:
        opts = self.opts
        return request.user.has_perm(f"{opts.app_label}.{action}_{opts.model_name}", obj)

    def has_view_permission(self, request, obj=None):
        if obj is None or isinstance(self, admin.options.InlineModelAdmin):
            return super().has_view_permission(request, obj)
        return self._object_permission(request, "view", obj) or self._object_permission(
            request, "change", obj
        )

    def has_change_permission(self, request, obj=None):
        if obj is None or isinstance(self, admin.options.InlineModelAdmin):
            return super().has_change_permission(request, obj)
        return self._object_permission(request, "change", obj)

    def has_delete_permission(self, request, obj=None):
        if obj is None or isinstance(self, admin.options.InlineModelAdmin):
            return super().has_delete_permission(request, obj)
        return self._object_permission(request, "delete", obj)

    def get_search_results(self, request, queryset, search_term):
        """Autocompletes offer only what the source field may point to for this user."""
        if _is_autocomplete(request):
            try:
                source_model = apps.get_model(request.GET["app_label"], request.GET["model_name"])
                source_field = source_model._meta.get_field(request.GET["field_name"])
            except (KeyError, LookupError, FieldDoesNotExist):
                return queryset.none(), False
            source_admin = self.admin_site._registry.get(source_model)
            if isinstance(source_admin, OapAdminMixin):
                queryset = source_admin.restrict_choices(request, source_field, queryset)
        return super().get_search_results(request, queryset, search_term)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if "queryset" not in kwargs:
            queryset = self.get_field_queryset(None, db_field, request)
            if queryset is None:
                queryset = db_field.remote_field.model._default_manager.all()
            kwargs["queryset"] = self.restrict_choices(request, db_field, queryset)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if "queryset" not in kwargs and db_field.remote_field.through._meta.auto_created:
            queryset = self.get_field_queryset(None, db_field, request)
            if queryset is None:
                queryset = db_field.remote_field.model._default_manager.all()
            kwargs["queryset"] = self.restrict_choices(request, db_field, queryset)
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class OapModelAdmin(OapAdminMixin, ScopedModelAdmin):
    """Base of every oap ModelAdmin: scoped, with its (read-only) audit history one click away."""


class OapTabularInline(OapAdminMixin, admin.TabularInline):
    """Base of every oap inline."""


class VisibleActionCountMixin:
    """An "actions" column counting only the actions the user may see (a count never leaks)."""

    action_count_path = "actions"  # from this admin's model to OperationalAction

    def get_queryset(self, request):
        count = visible_count(request.user, self.action_count_path, OperationalAction)
        return super().get_queryset(request).annotate(_action_count=count)

    @admin.display(description=_("actions"), ordering="_action_count")
    def action_count(self, obj) -> int:
        return obj._action_count


class PriorityListFilter(admin.RelatedFieldListFilter):
    """A priority filter whose labels ("Name (2022-2025)") come from one query, not one per priority."""

    def field_choices(self, field, request, model_admin):
        priorities = PriorityCrimeArea.objects.select_related("cycle")
        return [(priority.pk, str(priority)) for priority in priorities]


class TakingPartFilter(admin.SimpleListFilter):
    """Actions an organisation takes part in (any role), by its code (the dashboard links here).

    Offered: the organisations taking part in actions the user may see.
    """

    title = _("organisation taking part")
    parameter_name = "organisation"

    def lookups(self, request, model_admin):
        visible = access.restrict(OperationalAction.objects.all(), request.user, "view").values("pk")
        organisations = Organisation.objects.filter(participations__action__in=visible).distinct()
        return [(organisation.code, str(organisation)) for organisation in organisations.order_by("name")]

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        taking_part = Participation.objects.filter(organisation__code=self.value()).values("action_id")
        return queryset.filter(pk__in=taking_part)


# --- Reference data -----------------------------------------------------------------------


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


class ParticipationInlineFormSet(forms.BaseInlineFormSet):
    """The participants of one action: exactly one leader among the rows that are kept."""

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        try:
            services.check_participants(
                (form.cleaned_data["organisation"], form.cleaned_data.get("role"))
                for form in self.forms
                if form.cleaned_data and not self._should_delete_form(form)
            )
        except ValidationError as error:
            raise forms.ValidationError(error.messages, code="one_leader") from error

    def save_existing_objects(self, commit=True):
        """Save the rows that were the leader first.

        The database holds at most one leader per action at every moment, so handing the lead
        to another organisation must demote (or delete) the old leader's row before promoting.
        """
        count = self.initial_form_count()
        all_forms = self.forms
        initial = sorted(
            all_forms[:count], key=lambda form: form.initial.get("role") != ParticipationRole.LEADER
        )
        self.forms = initial + all_forms[count:]
        try:
            return super().save_existing_objects(commit)
        finally:
            self.forms = all_forms


class ParticipationInline(OapTabularInline):
    """The action's participants, editable by those who manage the action."""

    model = Participation
    formset = ParticipationInlineFormSet
    fields = ("organisation", "role")
    autocomplete_fields = ("organisation",)
    extra = 1

    def _manages(self, request, action) -> bool:
        if action is None:  # the add page: whoever may add an action lists its participants
            return request.user.has_perm("oap.add_participation")
        return request.user.has_perm("oap.change_operationalaction", action)

    def has_add_permission(self, request, obj=None):
        return self._manages(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._manages(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._manages(request, obj)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("action", "organisation")


def _leader(field: str) -> Subquery:
    """One column of the action's leading organisation, for annotating a changelist."""
    leaders = Participation.objects.filter(action=OuterRef("pk"), role=ParticipationRole.LEADER)
    return Subquery(leaders.values(f"organisation__{field}")[:1])


@admin.register(OperationalAction)
class OperationalActionAdmin(ResultsGridAdminMixin, ActionExportAdminMixin, OapModelAdmin):
    """Actions: a list that fits the page (the priority, handling and full title on hover and in
    the filters), and an action page that sums its results instead of listing every figure."""

    change_form_template = "admin/oap/operationalaction/change_form.html"
    list_display = (
        "code",
        "short_title",
        "plan_code",
        "status",
        "leader",
        "participant_count",
        "running",
        "record_results",
    )
    list_display_links = ("code", "short_title")
    list_filter = (
        "plan__priority__cycle",
        ("plan__priority", PriorityListFilter),
        ("plan", admin.RelatedOnlyFieldListFilter),
        "status",
        "handling",
        TakingPartFilter,
    )
    list_select_related = ("plan__priority__cycle",)
    search_fields = ("code", "title", "plan__code", "plan__name")
    autocomplete_fields = ("plan",)
    filter_horizontal = ("chsgs",)
    readonly_fields = ("created_at", "updated_at")
    date_hierarchy = "start"
    ordering = ("code",)
    inlines = (ParticipationInline,)
    fieldsets = (
        (_("Identification"), {"fields": ("plan", "code", "title", "description")}),
        (_("Timing"), {"fields": ("status", ("start", "end"), ("created_at", "updated_at"))}),
        (_("Handling & goals"), {"fields": ("handling", "chsgs")}),
    )

    def get_queryset(self, request):
        organisation = access.organisation_of(request.user)
        reports = access.role_allows(request.user, "add", ResultEntry) and organisation is not None
        taking_part = Participation.objects.filter(action=OuterRef("pk"), organisation=organisation)
        return (
            super()
            .get_queryset(request)
            .annotate(
                _leader_code=_leader("code"),
                _leader_name=_leader("name"),
                _participant_count=visible_count(request.user, "participations", Participation),
                _records=Exists(taking_part) if reports else Value(False),
            )
        )

    def get_list_display(self, request):
        shown = super().get_list_display(request)
        if access.organisation_of(request.user) is None or not access.role_allows(
            request.user, "add", ResultEntry
        ):
            return tuple(name for name in shown if name != "record_results")  # nothing to record
        return shown

    def has_add_permission(self, request):
        """Only where there is a plan to add to (no empty chooser for partners and viewers)."""
        return super().has_add_permission(request) and access.plans_open_for_actions(request.user).exists()

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and obj.pk is not None:
            organisation = access.organisation_of(request.user)
            if organisation is not None and access.can_record_result(
                request.user, action=obj, organisation=organisation
            ):
                context["record_results_url"] = grid_url(obj)
            rows = selectors.action_results_summary(user=request.user, action=obj)
            context["results_summary"] = summary_lines(obj, rows)
            context["statuses"] = [label for _, label in EntryStatus.choices]
            context["results_list_url"] = results_list_url(obj)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def restrict_choices(self, request, db_field, queryset):
        if db_field.name == "plan":
            return queryset & access.plans_open_for_actions(request.user)
        return super().restrict_choices(request, db_field, queryset)

    def get_readonly_fields(self, request, obj=None):
        readonly = super().get_readonly_fields(request, obj)
        if obj is not None and not request.user.is_superuser:
            return (*readonly, "plan")  # an action stays in its plan
        return readonly

    @admin.display(description=_("title"), ordering="title")
    def short_title(self, obj: OperationalAction):
        return truncated(obj.title, 60)

    @admin.display(description=_("plan"), ordering="plan__code")
    def plan_code(self, obj: OperationalAction):
        return with_title(obj.plan.code, str(obj.plan.priority))

    @admin.display(description=_("leader"), ordering="_leader_code")
    def leader(self, obj: OperationalAction):
        return with_title(obj._leader_code, obj._leader_name) if obj._leader_code else "—"

    @admin.display(description=_("years"), ordering="start")
    def running(self, obj: OperationalAction) -> str:
        return years(obj.start, obj.end)

    @admin.display(description=_("results"))
    def record_results(self, obj: OperationalAction):
        if not obj._records:
            return ""
        return format_html('<a href="{}" class="record-results">{}</a>', grid_url(obj), _("Record"))

    @admin.display(description=_("participants"), ordering="_participant_count")
    def participant_count(self, obj: OperationalAction) -> int:
        """Organisations taking part, the leader and co-leaders included."""
        return obj._participant_count


class ParticipationAdminForm(forms.ModelForm):
    class Meta:
        model = Participation
        fields = ("action", "organisation", "role")

    def clean_role(self):
        role = self.cleaned_data["role"]
        if (
            self.instance.pk
            and self.instance.role == ParticipationRole.LEADER
            and role != ParticipationRole.LEADER
        ):
            raise forms.ValidationError(
                _(
                    "Hand the lead to another organisation on the action's page, where both rows change at once."
                )
            )
        return role


@admin.register(Participation)
class ParticipationAdmin(OapModelAdmin):
    form = ParticipationAdminForm
    list_display = ("action_label", "organisation", "role")
    list_filter = ("role", ("action__plan", admin.RelatedOnlyFieldListFilter), "organisation__kind")
    list_select_related = ("action", "organisation")
    search_fields = ("action__code", "action__title", "organisation__code", "organisation__name")
    autocomplete_fields = ("action", "organisation")
    ordering = ("action__code", "role", "organisation__name")

    def restrict_choices(self, request, db_field, queryset):
        if db_field.name == "action":  # participants are added to actions one manages
            return access.restrict(queryset, request.user, "change")
        return super().restrict_choices(request, db_field, queryset)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.role == ParticipationRole.LEADER:
            return False  # an action always keeps its leader
        return super().has_delete_permission(request, obj)

    def has_add_permission(self, request):
        """Only for those who manage an action (no empty chooser for partners and viewers)."""
        if not super().has_add_permission(request):
            return False
        return access.restrict(OperationalAction.objects.all(), request.user, "change").exists()

    @admin.display(description=_("action"), ordering="action__code")
    def action_label(self, obj: Participation):
        return with_title(obj.action.code, obj.action.title)


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


@admin.register(ImportJob)
class ImportJobAdmin(OapModelAdmin):
    """Spreadsheet imports, for review (they are made from the results list's *Import* button)."""

    list_display = ("filename", "created_by", "created_at", "status", "total_rows", "imported_rows")
    list_filter = ("status",)
    list_select_related = ("created_by__organisation",)
    search_fields = ("filename", "created_by__username")
    readonly_fields = (
        "created_by",
        "created_at",
        "filename",
        "file",
        "status",
        "total_rows",
        "imported_rows",
        "errors",
        "task_id",
        "finished_at",
    )
    ordering = ("-created_at",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


# --- Users --------------------------------------------------------------------------------


@admin.register(User)
class UserAdmin(OapAdminMixin, DjangoUserAdmin):
    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        (_("EMPACT"), {"fields": ("organisation", "role")}),
    )
    add_fieldsets = (
        *DjangoUserAdmin.add_fieldsets,
        (_("EMPACT"), {"classes": ("wide",), "fields": ("organisation", "role")}),
    )
    list_display = ("username", "full_name", "organisation_code", "role", "is_staff")
    list_filter = ("role", "organisation__kind", "organisation", "is_staff", "is_superuser", "is_active")
    list_select_related = ("organisation",)
    search_fields = (
        "username",
        "first_name",
        "last_name",
        "email",
        "organisation__code",
        "organisation__name",
    )
    autocomplete_fields = ("organisation",)

    @admin.display(description=_("name"), ordering="last_name")
    def full_name(self, obj: User):
        return with_title(obj.get_full_name() or "—", obj.email)

    @admin.display(description=_("organisation"), ordering="organisation__code")
    def organisation_code(self, obj: User):
        return with_title(obj.organisation.code, obj.organisation.name) if obj.organisation else "—"


from . import admin_periods, admin_results  # noqa: E402, F401  (deadlines; result entries)
