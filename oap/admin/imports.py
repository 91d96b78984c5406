"""Spreadsheet import and export in the admin's changelists (results; actions for export).

Import: download a template, upload a CSV/XLSX file, see every bad row (row number, column,
rule) or a preview, confirm; large files import in a Celery task whose progress the page shows.
Export: the changelist's current rows — visible to the user, with the active filters and
search — as CSV or XLSX.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ALL_VAR, PAGE_VAR
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone

from .. import access, export, imports, services
from ..models import ImportJob, ResultType
from ..services.checks import action_years
from ..spreadsheets import (
    ACTION_EXPORT_COLUMNS,
    COLUMN_HELP,
    IMPORT_COLUMNS,
    RESULT_EXPORT_COLUMNS,
    TemplateCodes,
    action_export_rows,
    import_template,
    read_results,
    result_export_rows,
)
from .base import OapModelAdmin


def _download(content: bytes, kind: str, stem: str) -> HttpResponse:
    response = HttpResponse(content, content_type=export.CONTENT_TYPES[kind])
    response["Content-Disposition"] = f'attachment; filename="{stem}.{kind}"'
    return response


class ExportAdminMixin:
    """`export.csv` / `export.xlsx` of the changelist as the user sees it (visibility + filters)."""

    export_columns: list[str] = []
    export_stem = "export"
    change_list_template = "admin/oap/export_change_list.html"

    def export_rows(self, queryset):
        raise NotImplementedError

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "export.<str:kind>",
                self.admin_site.admin_view(self.export_view),
                name="{}_{}_export".format(*info),
            ),
            *super().get_urls(),
        ]

    def export_view(self, request, kind):
        """Every row of the list as filtered and searched (any page of it: `p` is not a filter).

        A lookup the list does not declare is refused (400) by its changelist, as on the list;
        a bad value of a declared filter or date is refused with 400 too, naming the problem.
        """
        if kind not in export.CONTENT_TYPES:
            raise Http404("Export as csv or xlsx.")
        if not self.has_view_permission(request):
            raise PermissionDenied
        request.GET = request.GET.copy()
        for name in (PAGE_VAR, ALL_VAR):
            request.GET.pop(name, None)
        try:
            changelist = self.get_changelist_instance(request)  # the rule, the filters and the search
        except IncorrectLookupParameters as error:
            return HttpResponseBadRequest(
                f"Refused: the export's filters are not valid ({error}). Export from the list's own links.",
                content_type="text/plain; charset=utf-8",
            )
        queryset = changelist.get_queryset(request)
        return export.download(kind, self.export_stem, self.export_columns, self.export_rows(queryset))


class ActionExportAdminMixin(ExportAdminMixin):
    export_columns = ACTION_EXPORT_COLUMNS
    export_stem = "operational-actions"

    def export_rows(self, queryset):
        return action_export_rows(queryset)


class UploadForm(forms.Form):
    file = forms.FileField(
        label="Results file (.csv or .xlsx)",
        help_text="Columns: " + ", ".join(IMPORT_COLUMNS) + ". Use codes, not names.",
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith((".csv", ".xlsx")):
            raise forms.ValidationError("Upload a .csv or .xlsx file.")
        if upload.size > 50 * 1024 * 1024:
            raise forms.ValidationError("The file is larger than 50 MB; split it.")
        return upload


class ResultImportExportAdminMixin(ExportAdminMixin):
    """Import of results from spreadsheets, and export of the changelist."""

    export_columns = RESULT_EXPORT_COLUMNS
    export_stem = "results"
    change_list_template = "admin/oap/resultentry/import_export_change_list.html"

    def export_rows(self, queryset):
        return result_export_rows(queryset)

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        view = self.admin_site.admin_view
        return [
            path("import/", view(self.import_view), name="{}_{}_import".format(*info)),
            path(
                "import/template.<str:kind>",
                view(self.template_view),
                name="{}_{}_import_template".format(*info),
            ),
            path("import/<int:job_id>/", view(self.import_job_view), name="{}_{}_import_job".format(*info)),
            path(
                "import/<int:job_id>/progress.json",
                view(self.import_progress_view),
                name="{}_{}_import_progress".format(*info),
            ),
            *super().get_urls(),
        ]

    def _require_import(self, request):
        if not self.has_add_permission(request):
            raise PermissionDenied

    def _context(self, request, **extra):
        return {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "app_label": self.opts.app_label,
            "has_view_permission": self.has_view_permission(request),
            **extra,
        }

    def template_view(self, request, kind):
        self._require_import(request)
        if kind not in export.CONTENT_TYPES:
            raise Http404("Templates come as csv or xlsx.")
        content = import_template(kind, self._example_row(request), self._template_codes(request))
        return _download(content, kind, "results-import-template")

    def _example_row(self, request) -> list | None:
        """The template's example: an action and organisation the user reports for (never another's)."""
        action = access.actions_open_for_results(request.user).order_by("code").first()
        organisation = access.organisations_reporting_for(request.user).order_by("code").first()
        if action is None or organisation is None:
            return None
        year = min(max(action_years(action)[0], timezone.localdate().year), action_years(action)[1])
        return [action.code, organisation.code, "arrests", year, "", 12, "JAD week 12"]

    def _template_codes(self, request) -> TemplateCodes:
        """The codes the template's drop-down lists offer this user."""
        actions = access.actions_open_for_results(request.user).select_related("plan").order_by("code")
        spans = [action_years(action) for action in actions]
        return TemplateCodes(
            actions=[(action.code, action.title) for action in actions],
            organisations=list(
                access.organisations_reporting_for(request.user).order_by("code").values_list("code", "name")
            ),
            counters=[
                (counter.code, counter.name, counter.get_unit_display())
                for counter in ResultType.objects.order_by("order", "code")
            ],
            years=(min((s[0] for s in spans), default=2014), max((s[1] for s in spans), default=2099)),
        )

    def import_view(self, request):
        self._require_import(request)
        form = UploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            job = imports.import_job_create(by=request.user, data=upload.read(), filename=upload.name)
            return redirect(
                reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_import_job", args=[job.pk])
            )
        recent = ImportJob.objects.filter(access.import_job_own_q(request.user))[:5]
        context = self._context(
            request,
            title="Import results from a spreadsheet",
            form=form,
            columns=[(name, COLUMN_HELP[name]) for name in IMPORT_COLUMNS],
            recent=recent,
        )
        return TemplateResponse(request, "admin/oap/resultentry/import.html", context)

    def _job(self, request, job_id) -> ImportJob:
        job = ImportJob.objects.filter(access.import_job_own_q(request.user), pk=job_id).first()
        if job is None:
            raise Http404("No such import of yours.")
        return job

    def import_job_view(self, request, job_id):
        self._require_import(request)
        job = self._job(request, job_id)
        if request.method == "POST" and "confirm" in request.POST:
            try:
                job = imports.import_job_confirm(by=request.user, job=job)
            except services.Conflict as error:
                self.message_user(request, " ".join(error.messages), messages.ERROR)
            if job.status == ImportJob.Status.DONE:
                self.message_user(
                    request,
                    f"{job.imported_rows} result entries imported from {job.filename} as drafts; "
                    "submit them for validation when ready.",
                    messages.SUCCESS,
                )
                return redirect(reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist"))
            return redirect(request.path)
        preview = []
        if job.status == ImportJob.Status.VALIDATED:
            with job.file.open("rb") as handle:
                sheet = read_results(handle.read(), job.filename, max_rows=imports.max_rows())
            preview = [
                (number, [row.get(column, "") for column in IMPORT_COLUMNS])
                for number, row in zip(sheet.row_numbers[:20], sheet.rows[:20], strict=True)
            ]
        context = self._context(
            request,
            title=f"Import of {job.filename}",
            job=job,
            progress=imports.job_progress(job),
            preview=preview,
            columns=IMPORT_COLUMNS,
            working=job.status in (ImportJob.Status.QUEUED, ImportJob.Status.RUNNING),
        )
        return TemplateResponse(request, "admin/oap/resultentry/import_job.html", context)

    def import_progress_view(self, request, job_id):
        self._require_import(request)
        job = self._job(request, job_id)
        progress = imports.job_progress(job)
        working = job.status in (ImportJob.Status.QUEUED, ImportJob.Status.RUNNING)
        return JsonResponse(
            {
                "status": job.status,
                "progress": progress,
                "text": f"{progress} %" if working else job.get_status_display(),
                "done": not working,
                "total_rows": job.total_rows,
                "imported_rows": job.imported_rows,
                "errors": job.errors,
            }
        )


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
