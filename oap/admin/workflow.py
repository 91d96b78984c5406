"""The result workflow in the admin: Submit / Validate / Return buttons with a confirmation page.

`ResultWorkflowAdminMixin` (a base of `ResultEntryAdmin`) adds to an entry's change page the buttons
the user may use on that entry — asked of the access rule (`oap.access.can`) and the entry's
status — and, for each, a page at `<id>/submit/`, `<id>/validate/`, `<id>/return/`: GET says what
will happen, POST does it through the service (`oap.services.result_submit/validate/return`) and
goes back to the entry with a message, or shows the service's refusal.

It also gives the results changelist a "waiting for me" filter (`?waiting=submit|validate`), built
on the same querysets as the dashboard's counts (`entries_to_submit`, `entries_to_validate`), so a
count on the dashboard and the list it links to always agree.
"""

from __future__ import annotations

from dataclasses import dataclass

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from .. import access, services, workflow
from ..choices import EntryStatus
from ..models import ResultEntry

# --- what waits for whom (shared with the dashboard) ----------------------------------------


def entries_to_submit(user, queryset: QuerySet | None = None) -> QuerySet:
    """The user's organisation's draft and returned entries the access rule lets them submit."""
    queryset = ResultEntry.objects.all() if queryset is None else queryset
    organisation = access.organisation_of(user)
    if organisation is None:
        return queryset.none()
    return access.restrict(queryset, user, "submit").filter(
        organisation=organisation, status__in=workflow.OPEN
    )


def entries_to_validate(user, queryset: QuerySet | None = None) -> QuerySet:
    """Submitted entries the access rule lets the user validate (or return)."""
    queryset = ResultEntry.objects.all() if queryset is None else queryset
    return access.restrict(queryset, user, "validate").filter(status=EntryStatus.SUBMITTED)


class WaitingForMeFilter(admin.SimpleListFilter):
    """Entries waiting for the user: to submit, or to validate."""

    title = _("waiting for me")
    parameter_name = "waiting"

    def lookups(self, request, model_admin):
        return (("submit", _("to submit")), ("validate", _("to validate")))

    def queryset(self, request, queryset):
        if self.value() == "submit":
            return entries_to_submit(request.user, queryset)
        if self.value() == "validate":
            return entries_to_validate(request.user, queryset)
        return queryset


# --- the steps ------------------------------------------------------------------------------


@dataclass(frozen=True)
class StepPage:
    """The admin's words for one step of `oap.workflow` (the rules stay there and in the services)."""

    name: str
    label: str  # the button
    title: str  # the confirmation page's title

    @property
    def rule(self) -> workflow.Step:
        return workflow.STEPS[self.name]

    def what_happens(self, entry: ResultEntry) -> str:
        if self.name == "submit":
            return (
                f"The entry goes to the leader of {entry.action.code}, the plan's drivers and the EMPACT "
                "support hub for validation. It cannot change while it waits; if they return it, "
                f"{entry.organisation.code} can correct it and submit it again."
            )
        if self.name == "validate":
            return (
                f"The figure is accepted: it counts in the {entry.year} factsheets and can no longer "
                "change (unless a reviewer returns it)."
            )
        counted = (
            " It stops counting in the factsheets until it is validated again."
            if (entry.status == EntryStatus.VALIDATED)
            else ""
        )
        return (
            f"The entry goes back to {entry.organisation.code} with your reason, so it can be corrected "
            f"and submitted again.{counted}"
        )


STEPS: dict[str, StepPage] = {
    page.name: page
    for page in (
        StepPage("submit", _("Submit for validation"), _("Submit this entry for validation?")),
        StepPage("validate", _("Validate"), _("Validate this entry?")),
        StepPage("return", _("Return with a reason"), _("Return this entry to its organisation?")),
    )
}


def step_allowed(user, entry: ResultEntry, step: StepPage) -> bool:
    """Whether `user` may take `step` on `entry` now (the services' own answer)."""
    return services.refusal(user, entry, step.name) is None


class ReturnReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        required=False,  # the service says why an empty reason is refused
        widget=forms.Textarea(attrs={"rows": 4, "cols": 60}),
        help_text=_("Say what to correct: the organisation reads this next to the entry."),
    )


def _error_messages(error: ValidationError) -> list[str]:
    return list(error.messages)


# --- the mixin ------------------------------------------------------------------------------


class ResultWorkflowAdminMixin:
    """Buttons and confirmation pages for the result workflow; a base of `ResultEntryAdmin`."""

    change_form_template = "admin/oap/resultentry/change_form.html"
    workflow_confirm_template = "admin/oap/resultentry/workflow_confirm.html"

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        urls = [
            path(
                f"<path:object_id>/{name}/",
                self.admin_site.admin_view(self.workflow_view),
                {"step": name},
                name=f"{info[0]}_{info[1]}_{name}",
            )
            for name in STEPS
        ]
        return urls + super().get_urls()  # before the admin's catch-all "<path:object_id>/"

    def get_list_filter(self, request):
        return (WaitingForMeFilter, *super().get_list_filter(request))

    def workflow_url(self, entry: ResultEntry, step: str) -> str:
        info = self.opts.app_label, self.opts.model_name
        return reverse(f"admin:{info[0]}_{info[1]}_{step}", args=[entry.pk], current_app=self.admin_site.name)

    def workflow_steps(self, request, entry: ResultEntry) -> list[dict]:
        """The buttons for this user on this entry (one access query at most: statuses are disjoint)."""
        return [
            {"name": step.name, "label": step.label, "url": self.workflow_url(entry, step.name)}
            for step in STEPS.values()
            if step_allowed(request.user, entry, step)
        ]

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and obj.pk is not None:
            context["workflow_steps"] = self.workflow_steps(request, obj)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def workflow_view(self, request, object_id, step):
        step = STEPS[step]
        entry = self.get_object(request, unquote(object_id))  # visible rows only
        if entry is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        change_url = reverse(
            f"admin:{self.opts.app_label}_{self.opts.model_name}_change",
            args=[entry.pk],
            current_app=self.admin_site.name,
        )
        form = ReturnReasonForm(request.POST or None) if step.rule.needs_reason else None
        errors: list[str] = []
        status = 200
        if request.method == "POST":
            reason = form.data.get("reason", "") if form is not None else ""
            try:
                entry = services.result_step(entry=entry, by=request.user, step=step.name, reason=reason)
            except services.Hidden:
                return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
            except PermissionDenied as error:
                errors, status = [str(error)], 403
            except services.Conflict as error:
                errors, status = _error_messages(error), 409
            except ValidationError as error:
                field_errors = getattr(error, "error_dict", {})
                if form is not None and "reason" in field_errors:
                    form.is_valid()
                    form.add_error("reason", field_errors["reason"])
                else:
                    errors, status = _error_messages(error), 400
            else:
                self.message_user(request, f"{str(step.rule.done).capitalize()}: {entry}.", messages.SUCCESS)
                return HttpResponseRedirect(change_url)
        elif (refused := services.refusal(request.user, entry, step.name)) is not None:
            errors = _error_messages(refused) if isinstance(refused, ValidationError) else [str(refused)]
            status = 409 if isinstance(refused, services.Conflict) else 403
        context = {
            **self.admin_site.each_context(request),
            "title": step.title,
            "subtitle": str(entry),
            "opts": self.opts,
            "app_label": self.opts.app_label,
            "original": entry,
            "step": step,
            "what_happens": step.what_happens(entry),
            "form": form,
            "errors": errors,
            "can_confirm": not errors,
            "change_url": change_url,
            "has_view_permission": True,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, self.workflow_confirm_template, context, status=status)
