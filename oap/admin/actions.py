"""Operational actions and their participants."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Subquery, Value
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from .. import access, selectors, services
from ..choices import EntryStatus, ParticipationRole
from ..models import (
    OperationalAction,
    Participation,
    ResultEntry,
)
from .base import OapModelAdmin, OapTabularInline, visible_count
from .filters import PriorityListFilter, TakingPartFilter, truncated, with_title, years
from .grid import ResultsGridAdminMixin, grid_url, results_list_url, summary_lines
from .imports import ActionExportAdminMixin


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


#: the action's own fields, as the services take them
ACTION_FIELDS = ("plan", "code", "title", "description", "status", "handling", "start", "end", "chsgs")


class OperationalActionForm(forms.ModelForm):
    """The action's fields, checked by the service's rule (`services.check_action`: the model's
    own validation and dates within the plan's cycle) so that a refusal shows beside the field."""

    class Meta:
        model = OperationalAction
        fields = ACTION_FIELDS

    def _post_clean(self):
        super()._post_clean()
        if self.errors or self.instance.plan_id is None:
            return
        try:
            services.check_action(self.instance)
        except ValidationError as error:
            self._update_errors(error)


def _roles(formset, action: OperationalAction | None) -> list:
    """(organisation, role) of every participant the page keeps: the rows shown and not deleted,
    and any row of the action the page did not show."""
    shown = {form.instance.pk for form in formset.initial_forms}
    kept = [
        (form.cleaned_data["organisation"], form.cleaned_data["role"])
        for form in formset.forms
        if form.cleaned_data and not formset._should_delete_form(form)
    ]
    if action is not None and action.pk is not None:
        unseen = (
            Participation.objects.filter(action=action).exclude(pk__in=shown).select_related("organisation")
        )
        kept += [(p.organisation, p.role) for p in unseen]
    return kept


@admin.register(OperationalAction)
class OperationalActionAdmin(ResultsGridAdminMixin, ActionExportAdminMixin, OapModelAdmin):
    """Actions: a list that fits the page (the priority, handling and full title on hover and in
    the filters), and an action page that sums its results instead of listing every figure."""

    form = OperationalActionForm
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

    def save_model(self, request, obj, form, change):
        """Saved with its participants in `save_related`, through the services (one transaction)."""

    def save_related(self, request, form, formsets, change):
        """The action, its CHSGs and its participants through `services.action_create` or
        `action_update`: the one leader rule, the plan's cycle and who may write, as on every path."""
        (participants,) = [f for f in formsets if f.model is Participation]
        for formset in formsets:
            formset.save(commit=False)  # what changed, for the admin's log; nothing written here
        data = form.cleaned_data
        fields = {name: data[name] for name in ACTION_FIELDS if name in data}
        roles = _roles(participants, form.instance if change else None)
        if change:
            saved = services.action_update(action=form.instance, by=request.user, roles=roles, **fields)
        else:
            saved = services.action_create(by=request.user, roles=roles, **fields)
        form.instance.pk = saved.pk

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

    @transaction.atomic
    def save_model(self, request, obj, form, change):
        """Through `services.participation_save` (the one leader rule); a row moved to another
        action or organisation leaves its old place through `participation_remove`."""
        if change and {"action", "organisation"} & set(form.changed_data):
            old = Participation.objects.select_related("action").get(pk=obj.pk)
            services.participation_remove(participation=old, by=request.user)
        saved = services.participation_save(
            action=obj.action, organisation=obj.organisation, role=obj.role, by=request.user
        )
        obj.pk = saved.pk

    def delete_model(self, request, obj):
        services.participation_remove(participation=obj, by=request.user)

    def delete_queryset(self, request, queryset):
        for participation in queryset.select_related("action"):
            services.participation_remove(participation=participation, by=request.user)

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
