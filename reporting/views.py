"""Report pages and downloads for signed-in users; every read asks `oap.access`.

- `/reports/factsheets/` — the factsheets the user may read;
- `/reports/factsheets/<year>/` — the factsheet page (charts inline), `?priority=CODE` for a
  priority's factsheet, `?version=N` for an earlier version;
- `/reports/factsheets/<year>/factsheet.pdf|factsheet.html|figures.csv|figures.xlsx` — the
  version's stored files;
- `/reports/factsheets/<year>/entries.csv|entries.xlsx` — the validated entries of the year
  that the user may see (not a factsheet file: each user gets their own rows).
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode

from oap import access
from oap.choices import EntryStatus
from oap.models import PriorityCrimeArea, ResultEntry

from . import services
from .choices import CONTENT_TYPES, FILE_NAMES, FileKind
from .render import meta_of, render_files
from .render.html import render_html
from .render.tables import entries_csv_stream, entries_xlsx

KIND_BY_NAME = {name: kind for kind, name in FILE_NAMES.items()}


def signed_in_or_token(view):
    """Like login_required, but API clients may also present their token (`Authorization: Token …`).

    The file links the API hands out must work for the partner systems that follow them.
    """
    from functools import wraps

    from rest_framework.exceptions import AuthenticationFailed

    from oap.api.base import TokenAuthentication

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.user.is_authenticated and request.META.get("HTTP_AUTHORIZATION"):
            try:
                found = TokenAuthentication().authenticate(request)
            except AuthenticationFailed:
                found = None
            if found is not None:
                request.user = found[0]
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


@login_required
def factsheet_list(request):
    factsheets = (
        services.factsheets_visible_to(request.user)
        .select_related("priority")
        .order_by("-year", "priority__number", "-version")
    )
    return render(
        request,
        "reporting/factsheet_list.html",
        {"factsheets": factsheets, "can_read_drafts": access.can_read_report_drafts(request.user)},
    )


@login_required
def factsheet_page(request, year: int):
    factsheet, query = _factsheet(request, year)
    page = {
        "status": factsheet.status,
        "status_label": factsheet.get_status_display().lower(),
        "progress": factsheet.progress,
        "published_at": factsheet.published_at,
        "links": _links(year, {**query, "version": factsheet.version}),
    }
    return HttpResponse(render_html(factsheet.figures, meta_of(factsheet), page=page, request=request))


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
            entries_csv_stream(entries), content_type=CONTENT_TYPES[FileKind.CSV]
        )
        response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
        return response
    response = HttpResponse(entries_xlsx(entries), content_type=CONTENT_TYPES[FileKind.XLSX])
    response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
    return response
