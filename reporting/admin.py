"""Factsheets in the admin: compile and publish actions, status and progress, downloads.

The list, the pages and their (read-only) history show what `oap.access` lets the user read; every write goes through
`reporting.services` (adding a factsheet requests its compile).
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from oap import access
from oap.admin.base import ScopedModelAdmin
from oap.models import PriorityCrimeArea

from . import access as reports
from . import services
from .choices import FILE_NAMES, FactsheetStatus
from .models import Factsheet
from .views import status_text


class FactsheetRequestForm(forms.ModelForm):
    """Adding a factsheet = asking for the year's (or a priority's) compile."""

    class Meta:
        model = Factsheet
        fields = ("year", "priority")


@admin.register(Factsheet)
class FactsheetAdmin(ScopedModelAdmin):
    """Scoped by the access rule (reporting.access.factsheet_scope) (the changelist, the object and its history pages)."""

    list_display = ("year", "scope", "version", "progress_bar", "dated", "downloads")
    list_filter = ("year", "status", "priority")
    list_select_related = ("priority",)
    ordering = ("-year", "priority__number", "-version")
    actions = ("compile_selected", "publish_selected")
    readonly_fields = (
        "year",
        "priority",
        "version",
        "status",
        "progress_bar",
        "checksum",
        "task_id",
        "error",
        "requested_by",
        "requested_at",
        "compiled_at",
        "published_by",
        "published_at",
        "headline",
        "downloads",
    )
    fields = readonly_fields

    class Media:
        js = ("reporting/progress.js",)  # live progress of running compiles

    def get_queryset(self, request):
        return access.restrict(super().get_queryset(request), request.user, "view")

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = FactsheetRequestForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        return ("year", "priority") if obj is None else self.fields

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else self.readonly_fields

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "priority":
            kwargs["queryset"] = PriorityCrimeArea.objects.select_related("cycle")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_add_permission(self, request):
        return reports.can_compile(request.user)

    def has_change_permission(self, request, obj=None):
        return False  # figures come from compiles only

    def has_delete_permission(self, request, obj=None):
        return bool(request.user.is_superuser and (obj is None or obj.status != FactsheetStatus.PUBLISHED))

    def has_compile_permission(self, request):
        return reports.can_compile(request.user)

    def has_publish_permission(self, request):
        return reports.can_publish(request.user)

    def save_model(self, request, obj, form, change):
        factsheet = services.factsheet_request_compile(
            by=request.user, year=form.cleaned_data["year"], priority=form.cleaned_data["priority"]
        )
        obj.pk = factsheet.pk
        obj.__dict__.update({k: v for k, v in factsheet.__dict__.items() if not k.startswith("_")})
        self.message_user(request, _("Compile requested; the status below follows its progress."))

    def _each(self, request, queryset, verb, call):
        done = 0
        for factsheet in queryset:
            try:
                call(factsheet)
                done += 1
            except (ValidationError, PermissionDenied) as error:
                text = "; ".join(getattr(error, "messages", None) or [str(error)])
                self.message_user(request, f"{factsheet}: not {verb}: {text}", messages.ERROR)
        if done:
            self.message_user(request, f"{done} factsheet(s) {verb}.", messages.SUCCESS)

    @admin.action(
        description=_("Compile (again) the selected factsheets' year and scope"), permissions=["compile"]
    )
    def compile_selected(self, request, queryset):
        scopes = {(f.year, f.priority_id) for f in queryset}
        done = 0
        for year, priority_id in sorted(scopes, key=lambda s: (s[0], s[1] or 0)):
            services.factsheet_request_compile(by=request.user, year=year, priority=priority_id)
            done += 1
        self.message_user(request, f"{done} compile(s) requested.", messages.SUCCESS)

    @admin.action(
        description=_("Publish the selected factsheets (locks their year)"), permissions=["publish"]
    )
    def publish_selected(self, request, queryset):
        self._each(
            request, queryset, "published", lambda f: services.factsheet_publish(by=request.user, factsheet=f)
        )

    @admin.display(description=_("scope"), ordering="priority__number")
    def scope(self, obj: Factsheet) -> str:
        return obj.scope_label

    @admin.display(description=_("status"), ordering="status")
    def progress_bar(self, obj: Factsheet) -> str:
        """The status; while a compile runs, its bar, which `reporting/progress.js` moves (and
        reloads the list when done). One column, so the list fits 1440 px without scrolling."""
        if obj.status != FactsheetStatus.COMPILING:
            return obj.get_status_display()
        return format_html(
            '<span class="progress-live" data-progress-url="{}" data-progress-reload>'
            '<progress value="{}" max="100"></progress> <span data-progress-text>{}</span></span>',
            reverse("reporting:factsheet-progress", args=[obj.pk]),
            obj.progress,
            status_text(obj),
        )

    @admin.display(description=_("date"), ordering="compiled_at")
    def dated(self, obj: Factsheet) -> str:
        """Published on, or else compiled on (the checksum is on the version's page)."""
        if obj.published_at:
            return format_html("{} {}", _("published"), f"{obj.published_at:%Y-%m-%d}")
        if obj.compiled_at:
            return format_html("{} {}", _("compiled"), f"{obj.compiled_at:%Y-%m-%d}")
        return "–"

    @admin.display(description=_("headline"))
    def headline(self, obj: Factsheet) -> str:
        headline = (obj.figures or {}).get("headline") or {}
        return format_html_join(", ", "{}: {}", headline.items()) or "–"

    @admin.display(description=_("downloads"))
    def downloads(self, obj: Factsheet) -> str:
        if not obj.checksum:
            return "–"
        query = {"version": obj.version}
        if obj.priority_id:
            query["priority"] = obj.priority.code
        suffix = "?" + urlencode(query)
        links = [("page", reverse("reporting:factsheet", args=[obj.year]) + suffix)]
        links += [
            (name.rsplit(".", 1)[1].upper(), reverse("reporting:download", args=[obj.year, name]) + suffix)
            for kind, name in FILE_NAMES.items()
            if kind != "html"
        ]
        return format_html_join(" · ", '<a href="{}">{}</a>', ((url, label) for label, url in links))
