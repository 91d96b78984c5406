"""Result entries in the admin: the list, the one-entry form (through the row checker), the
workflow's bulk actions, import and export. Registered from oap/admin.py (the bases live there)."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.translation import gettext_lazy as _

from .. import access, services
from ..choices import ActionStatus
from ..formats import number
from ..models import ResultEntry, period_name
from ..services import checks
from .base import OapModelAdmin
from .filters import ActionCodeFilter, truncated, with_title
from .imports import ResultImportExportAdminMixin
from .workflow import ResultWorkflowAdminMixin


class ResultActionForm(ActionForm):
    """The changelist's action bar, with room for the reason when returning entries."""

    reason = forms.CharField(
        label=_("Reason (for returning)"),
        required=False,
        widget=forms.TextInput(attrs={"size": 40, "placeholder": _("why the entries go back")}),
    )


class ResultEntryAdminForm(forms.ModelForm):
    """Asks the one row checker (`oap.services.checks`), so refusals show on the field they concern.

    The value is typed as text and read by the checker: a point or a comma before the decimals,
    never a silent reinterpretation (`1250,5` is 1250.5; `1,250` is refused as ambiguous).
    """

    request_user = None  # set by ResultEntryAdmin.get_form
    value = forms.CharField(
        label=_("value"),
        max_length=40,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off", "size": 16}),
        help_text=_("A point or a comma before the decimals; counts are whole numbers."),
    )

    class Meta:
        model = ResultEntry
        fields = ("action", "organisation", "result_type", "year", "half_year", "value", "comment")

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        try:
            if self.instance.pk is None:
                fields = ("action", "organisation", "result_type", "year", "half_year", "value", "comment")
                [checked] = checks.check_new_entries(
                    by=self.request_user, rows=[{name: cleaned.get(name) for name in fields}]
                )
                cleaned["value"] = checked.value
            else:
                cleaned["value"], cleaned["comment"] = checks.check_change(
                    entry=self.instance, value=cleaned.get("value"), comment=cleaned.get("comment")
                )
        except checks.RowErrors as error:
            for problem in error.problems[0]:
                self.add_error(problem.field if problem.field in self.fields else None, problem.message)
        except (ValidationError, PermissionDenied) as error:
            self.add_error(None, error if isinstance(error, ValidationError) else str(error))
        return cleaned

    def validate_unique(self):
        """Periods and duplicates are the row checker's (in `clean`), with its words."""


@admin.register(ResultEntry)
class ResultEntryAdmin(ResultWorkflowAdminMixin, ResultImportExportAdminMixin, OapModelAdmin):
    form = ResultEntryAdminForm
    action_form = ResultActionForm
    actions = ("submit_entries", "validate_entries", "return_entries")
    list_display = (
        "action_code",
        "organisation_code",
        "counter",
        "period",
        "value_with_unit",
        "status",
        "updated",
    )
    list_display_links = ("action_code", "organisation_code")
    list_filter = (
        ActionCodeFilter,
        "year",
        "status",
        "result_type__category",
        "result_type",
        "organisation__kind",
        ("organisation", admin.RelatedOnlyFieldListFilter),
        ("action__plan", admin.RelatedOnlyFieldListFilter),
    )
    list_select_related = ("action", "organisation", "result_type")
    search_fields = (
        "action__code",
        "action__title",
        "organisation__code",
        "organisation__name",
        "result_type__code",
        "result_type__name",
    )
    autocomplete_fields = ("action", "organisation", "result_type")
    readonly_fields = (
        "status",
        "return_reason",
        "entered_by",
        "entered_at",
        "submitted_at",
        "validated_by",
        "validated_at",
        "updated_at",
    )
    date_hierarchy = "updated_at"
    ordering = ("-year", "action__code", "organisation__code", "result_type__order", "pk")
    fieldsets = (
        (
            None,
            {"fields": ("action", "organisation", "result_type", ("year", "half_year"), "value", "comment")},
        ),
        (_("Review"), {"fields": ("status", "return_reason")}),
        (
            _("History"),
            {
                "fields": (
                    ("entered_by", "entered_at"),
                    "submitted_at",
                    ("validated_by", "validated_at"),
                    "updated_at",
                )
            },
        ),
    )

    def restrict_choices(self, request, db_field, queryset):
        # a coordinator reports for their own organisation, in actions it takes part in
        if db_field.name == "action":  # active ones: figures of a finished action go through its grid
            active = (ActionStatus.PLANNED, ActionStatus.ONGOING)
            return (queryset & access.actions_open_for_results(request.user)).filter(status__in=active)
        if db_field.name == "organisation":
            return queryset & access.organisations_reporting_for(request.user)
        return super().restrict_choices(request, db_field, queryset)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        form.request_user = request.user
        return form

    def get_readonly_fields(self, request, obj=None):
        readonly = super().get_readonly_fields(request, obj)
        if obj is not None:  # an entry's identity is fixed once recorded; its value is not
            return ("action", "organisation", "result_type", "year", "half_year", *readonly)
        return readonly

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, unquote(object_id))
        if obj is not None and request.method == "GET":
            refused = services.refusal(None, obj, "change")
            if refused is not None:
                self.message_user(request, " ".join(refused.messages), messages.WARNING)
        return super().change_view(request, object_id, form_url, extra_context)

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if change:
            saved = services.result_update(
                entry=obj, by=request.user, value=data["value"], comment=data["comment"]
            )
        else:
            saved = services.result_record(
                by=request.user,
                action=data["action"],
                organisation=data["organisation"],
                result_type=data["result_type"],
                year=data["year"],
                half_year=data["half_year"],
                value=data["value"],
                comment=data["comment"],
            )
        obj.pk = saved.pk
        obj.__dict__.update({k: v for k, v in saved.__dict__.items() if not k.startswith("_")})

    def delete_model(self, request, obj):
        services.result_delete(entry=obj, by=request.user)

    def delete_queryset(self, request, queryset):
        for entry in queryset:
            services.result_delete(entry=entry, by=request.user)

    def _run_workflow(self, request, queryset, verb: str, call) -> None:
        done, refused = 0, []
        for entry in queryset.select_related("action", "organisation", "result_type"):
            try:
                call(entry)
                done += 1
            except (ValidationError, PermissionDenied, services.Hidden) as error:
                message = "; ".join(getattr(error, "messages", None) or [str(error)])
                refused.append(
                    f"{entry.action.code} · {entry.organisation.code} · {entry.result_type.code} {entry.year}: {message}"
                )
        if done:
            self.message_user(
                request, f"{done} {'entry' if done == 1 else 'entries'} {verb}.", messages.SUCCESS
            )
        for line in refused:
            self.message_user(request, f"Not {verb}: {line}", messages.ERROR)

    @admin.action(description=_("Submit selected entries for validation"), permissions=["submit"])
    def submit_entries(self, request, queryset):
        self._run_workflow(
            request, queryset, "submitted", lambda e: services.result_submit(entry=e, by=request.user)
        )

    @admin.action(description=_("Validate selected entries"), permissions=["validate"])
    def validate_entries(self, request, queryset):
        self._run_workflow(
            request, queryset, "validated", lambda e: services.result_validate(entry=e, by=request.user)
        )

    @admin.action(description=_("Return selected entries (give the reason)"), permissions=["validate"])
    def return_entries(self, request, queryset):
        reason = request.POST.get("reason", "")
        self._run_workflow(
            request,
            queryset,
            "returned",
            lambda e: services.result_return(entry=e, by=request.user, reason=reason),
        )

    def has_submit_permission(self, request):
        return access.role_allows(request.user, "submit", ResultEntry)

    def has_validate_permission(self, request):
        return access.role_allows(request.user, "validate", ResultEntry)

    @admin.display(description=_("action"), ordering="action__code")
    def action_code(self, obj: ResultEntry):
        return with_title(obj.action.code, obj.action.title)

    @admin.display(description=_("organisation"), ordering="organisation__code")
    def organisation_code(self, obj: ResultEntry):
        return with_title(obj.organisation.code, obj.organisation.name)

    @admin.display(description=_("counter"), ordering="result_type__order")
    def counter(self, obj: ResultEntry):
        return truncated(obj.result_type.name, 40)

    @admin.display(description=_("period"), ordering="year")
    def period(self, obj: ResultEntry) -> str:
        return period_name(obj.year, obj.half_year)

    @admin.display(description=_("updated"), ordering="updated_at")
    def updated(self, obj: ResultEntry) -> str:
        return date_format(timezone.localtime(obj.updated_at), "j M Y")

    @admin.display(description=_("value"), ordering="value")
    def value_with_unit(self, obj: ResultEntry) -> str:
        return number(obj.value, obj.result_type.unit)
