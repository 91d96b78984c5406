"""The reporting panel of the admin dashboard: the latest factsheets the user may read.

Which factsheets a user reads is decided by `oap.access.reports_visible_q` (published
ones for everybody signed in; open versions for analysts and the hub). Two queries: a count and
the latest few.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.urls import NoReverseMatch, reverse

from oap import access

from .models import Factsheet

LATEST = 5


can_compile = access.can_compile_reports
can_publish = access.can_publish_reports


def _reverse(name: str, *args) -> str | None:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:  # the page is not wired (yet)
        return None


def _factsheet_url(factsheet: Factsheet) -> str | None:
    url = _reverse("reporting:factsheet", factsheet.year)
    if url is None:
        return _reverse("admin:reporting_factsheet_change", factsheet.pk)
    query = {"version": factsheet.version}
    if factsheet.priority_id:
        query["priority"] = factsheet.priority.code
    return f"{url}?{urlencode(query)}"


def panels(request) -> list[dict]:
    factsheets = Factsheet.objects.visible_to(request.user)
    latest = factsheets.select_related("priority").order_by("-year", "-updated_at", "pk")[:LATEST]
    items = []
    for factsheet in latest:
        items.append(
            {
                "label": f"{factsheet.year} · {factsheet.scope_label} · version {factsheet.version}",
                # a version without figures (never compiled) has no page yet
                "url": _factsheet_url(factsheet) if factsheet.checksum else None,
                "note": factsheet.get_status_display(),
            }
        )
    list_url = _reverse("reporting:factsheet-list") or _reverse("admin:reporting_factsheet_changelist")
    return [
        {
            "id": "factsheets",
            "title": "Latest factsheets",
            "count": factsheets.count(),
            "items": items,
            "link": {"url": list_url, "label": "All factsheets"} if list_url else None,
            "empty": "No factsheet for you to read yet: they appear here once the EMPACT support team "
            "publishes them.",
        }
    ]


def abilities(request) -> list[str]:
    user = request.user
    if can_publish(user):
        return [
            "You read every factsheet version, compile them and publish them (publishing locks the year)."
        ]
    if can_compile(user):
        return ["You read every factsheet version and may compile them."]
    return ["You read the published factsheets."]
