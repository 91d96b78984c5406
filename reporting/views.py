"""Report pages and downloads for signed-in users; every read asks `oap.access`.

- `/reports/factsheets/` — the factsheets the user may read;
- `/reports/factsheets/<year>/` — the factsheet page (charts inline), `?priority=CODE` for a
  priority's factsheet, `?version=N` for an earlier version;
- `/reports/factsheets/<year>/factsheet.pdf|factsheet.html|figures.csv|figures.xlsx` — the
  version's stored files;
- `/reports/factsheets/<year>/entries.csv|entries.xlsx` — the validated entries of the year
  that the user may see (not a factsheet file: each user gets their own rows);
- `/reports/factsheets/progress/<id>/` — a version's status and compile progress as JSON, what
  `static/reporting/progress.js` polls while a compile runs.

The pages are inside the admin's header and navigation (`admin.site.each_context`).
"""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.cache import never_cache

from oap import export
from oap.choices import EntryStatus
from oap.models import PriorityCrimeArea, ResultEntry

from . import dashboard, services
from .choices import FILE_NAMES, FactsheetStatus, FileKind
from .models import Factsheet
from .render import meta_of, render_files
from .render.html import context as factsheet_context
from .render.tables import ENTRY_HEADER, entries_sheet, entry_rows

KIND_BY_NAME = {name: kind for kind, name in FILE_NAMES.items()}
CONTENT_TYPES = {
    FileKind.HTML: "text/html; charset=utf-8",
    FileKind.PDF: "application/pdf",
    **export.CONTENT_TYPES,  # csv, xlsx
}


def signed_in_or_token(view):
    """Like login_required, but API clients may also present their token (`Authorization: Token …`
    or `Bearer …`); an API client without a valid one gets the API's 401 JSON, not the login page.

    The file links the API hands out must work for the partner systems that follow them.
    """
    from functools import wraps

    from oap.api.auth import not_authenticated, token_user, wants_json

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.user.is_authenticated and request.META.get("HTTP_AUTHORIZATION"):
            request.user = token_user(request) or request.user
        if not request.user.is_authenticated and wants_json(request):
            return not_authenticated(request)
        return login_required(view)(request, *args, **kwargs)

    return wrapped


def _scope(request, year: int) -> tuple[PriorityCrimeArea | None, int | None, dict]:
    """The priority (`?priority=CODE`, of the cycle covering `year`) and version asked for."""
    query = {}
    priority = None
    code = request.GET.get("priority", "").strip()
    if code:
        priority = (
            PriorityCrimeArea.objects.filter(
                code__iexact=code, cycle__start_year__lte=year, cycle__end_year__gte=year
            )
            .select_related("cycle")
            .first()
        )
        if priority is None:
            raise Http404(f"No priority {code!r} in {year}.")
        query["priority"] = priority.code
    version = request.GET.get("version", "").strip()
    if version:
        if not version.isdigit():
            raise Http404("Give the version as a number.")
        query["version"] = version
    return priority, int(version) if version else None, query


def _factsheet(request, year: int):
    priority, version, query = _scope(request, year)
    factsheet = services.factsheet_for(user=request.user, year=year, priority=priority, version=version)
    if factsheet is None:
        raise Http404(f"No factsheet of {year} for you to read yet.")
    return factsheet, query


def _links(year: int, query: dict) -> list[dict]:
    suffix = f"?{urlencode(query)}" if query else ""
    names = [
        ("PDF", "factsheet.pdf"),
        ("Figures (CSV)", "figures.csv"),
        ("Figures (XLSX)", "figures.xlsx"),
        ("Validated entries you may see (CSV)", "entries.csv"),
        ("Validated entries you may see (XLSX)", "entries.xlsx"),
    ]
    return [
        {"label": label, "url": reverse("reporting:download", args=[year, name]) + suffix}
        for label, name in names
    ]


def status_text(factsheet: Factsheet) -> str:
    """ "Compiling 40 %" while a compile runs, else the status ("Compiled", "Failed", ...)."""
    if factsheet.status == FactsheetStatus.COMPILING:
        return f"{factsheet.get_status_display()} {factsheet.progress} %"
    return str(factsheet.get_status_display())


def _page(request, factsheet: Factsheet, year: int, query: dict) -> dict:
    """What the live page shows besides the version's content: status, progress, links."""
    user = request.user
    actions = []
    if dashboard.can_compile(user):
        admin_list = reverse("admin:reporting_factsheet_changelist") + f"?year={factsheet.year}"
        verb = "Compile it again or publish it" if dashboard.can_publish(user) else "Compile it again"
        actions.append({"url": admin_list, "label": f"{verb} in the admin"})
    compiling = factsheet.status == FactsheetStatus.COMPILING
    return {
        "status": factsheet.status,
        "status_text": status_text(factsheet),
        "progress": factsheet.progress,
        "progress_url": reverse("reporting:factsheet-progress", args=[factsheet.pk]) if compiling else "",
        "audience": "Unpublished versions are shown to analysts and the EMPACT support team only.",
        "actions": actions,
        "links": _links(year, {**query, "version": factsheet.version}),
    }


@login_required
def factsheet_list(request):
    factsheets = (
        services.factsheets_visible_to(request.user)
        .select_related("priority")
        .order_by("-year", "priority__number", "-version")
    )
    context = {
        **admin.site.each_context(request),
        "factsheets": factsheets,
        "guidance": dashboard.guidance(request.user),
        "empty": dashboard.empty_text(request.user),
    }
    return render(request, "reporting/factsheet_list.html", context)


@login_required
def factsheet_page(request, year: int):
    factsheet, query = _factsheet(request, year)
    context = {
        **admin.site.each_context(request),
        **factsheet_context(factsheet.figures, meta_of(factsheet)),
        "page": _page(request, factsheet, year, query),
    }
    return render(request, "reporting/factsheet_page.html", context)


@never_cache
@login_required
def factsheet_progress(request, pk: int):
    """{"status", "progress", "text", "done"} of a version the user may read (404 otherwise)."""
    factsheet = services.factsheets_visible_to(request.user).filter(pk=pk).first()
    if factsheet is None:
        raise Http404("No factsheet with this id for you to read.")
    return JsonResponse(
        {
            "id": factsheet.pk,
            "status": factsheet.status,
            "progress": factsheet.progress,
            "text": status_text(factsheet),
            "done": factsheet.status != FactsheetStatus.COMPILING,
        }
    )


@signed_in_or_token
def download(request, year: int, filename: str):
    if filename in ("entries.csv", "entries.xlsx"):
        return _entries(request, year, filename)
    kind = KIND_BY_NAME.get(filename)
    if kind is None:
        raise Http404("No such file.")
    factsheet, _ = _factsheet(request, year)
    stored = factsheet.files.filter(kind=kind, checksum=factsheet.checksum).first()
    base = f"empact-factsheet-{year}-{factsheet.scope_slug}-v{factsheet.version}"
    download_name = f"{base}.{kind}" if kind in (FileKind.HTML, FileKind.PDF) else f"{base}-{filename}"
    if stored is not None and stored.file.storage.exists(stored.file.name):
        return FileResponse(
            stored.file.open("rb"),
            content_type=CONTENT_TYPES[kind],
            as_attachment=kind != FileKind.HTML,
            filename=download_name,
        )
    content = render_files(factsheet.figures, meta_of(factsheet))[kind]  # files not kept: make them again
    response = HttpResponse(content, content_type=CONTENT_TYPES[kind])
    if kind != FileKind.HTML:
        response["Content-Disposition"] = f'attachment; filename="{download_name}"'
    return response


def _entries(request, year: int, filename: str):
    priority, _, _ = _scope(request, year)
    entries = ResultEntry.objects.visible_to(request.user).filter(year=year, status=EntryStatus.VALIDATED)
    if priority is not None:
        entries = entries.filter(action__plan__priority=priority)
    entries = entries.order_by("action__code", "organisation__code", "result_type__order", "half_year", "pk")
    name = f"empact-validated-entries-{year}{'-' + priority.code.lower() if priority else ''}"
    if filename.endswith(".csv"):
        response = StreamingHttpResponse(
            export.csv_lines(ENTRY_HEADER, entry_rows(entries)), content_type=CONTENT_TYPES[FileKind.CSV]
        )
    else:
        response = HttpResponse(
            export.write_xlsx(entries_sheet(entries)), content_type=CONTENT_TYPES[FileKind.XLSX]
        )
    response["Content-Disposition"] = f'attachment; filename="{name}.{filename.rsplit(".", 1)[1]}"'
    return response
