"""The reporting panel of the admin dashboard, and what each role is told about factsheets.

Which factsheets a user reads is decided by `reporting.access` (published
ones for everybody signed in; open versions for analysts and the hub). Two queries: a count and
the latest few. What a reader is told fits what they may do (`guidance`): the analysts and the
hub are the EMPACT support team that compiles and publishes, so they are told how, never to
wait for themselves.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from oap import access
from oap.models import ResultEntry
from oap.selectors import owing, periods_open

from . import access as reports
from .models import Factsheet

LATEST = 5


can_compile = reports.can_compile
can_publish = reports.can_publish


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


def empty_text(user) -> str:
    """What a user without any factsheet to read is told."""
    if can_publish(user):
        return "No factsheet yet: compile the year's factsheet, then publish it to show it to every user."
    if can_compile(user):
        return (
            "No factsheet yet: compile the year's factsheet; the EMPACT support team (hub) publishes it "
            "for every user."
        )
    return "No factsheet for you to read yet: they appear here once the EMPACT support team publishes them."


def compile_link(user) -> dict | None:
    """Where an analyst starts a compile (the admin's add page of factsheets)."""
    if not can_compile(user):
        return None
    url = _reverse("admin:reporting_factsheet_add")
    return {"url": url, "label": "Compile a factsheet"} if url else None


def guidance(user) -> list[dict]:
    """Lines above the list of factsheets: what the user reads there and what they may do."""
    if can_publish(user):
        text = "Published and unpublished versions. You compile them and publish them (publishing locks the year):"
    elif can_compile(user):
        text = "Published and unpublished versions. You compile them; the EMPACT support team publishes them:"
    else:
        return [{"text": "Published factsheets of the EMPACT results."}]
    link = _reverse("admin:reporting_factsheet_changelist")
    lines = [{"text": text, "url": link, "label": "factsheets in the admin"}]
    start = compile_link(user)
    if start:
        lines.append({"text": "A new year or priority:", **start})
    return lines


def panels(request) -> list[dict]:
    user = request.user
    factsheets = Factsheet.objects.visible_to(user)
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
        deadlines_panel(user),
        {
            "id": "factsheets",
            "title": "Latest factsheets",
            "count": factsheets.count(),
            "items": items,
            "link": {"url": list_url, "label": "All factsheets"} if list_url else None,
            "empty": empty_text(user),
            "empty_link": compile_link(user),
        },
    ]


def _deadline_item(user, period) -> dict:
    today = timezone.localdate()
    days = (period.results_due - today).days
    when = (
        f"in {days} days"
        if days > 1
        else ("tomorrow" if days == 1 else ("today" if days == 0 else "overdue"))
    )
    parts = [when, f"validation closes {period.validation_closes:%d %b %Y}"]
    organisation = access.organisation_of(user)
    if organisation is not None and access.role_allows(user, "submit", ResultEntry):
        owed = len(owing(period.year, period.half_year).get(organisation.pk, []))
        parts.append(
            f"{organisation.code} still owes figures in {owed} action{'s' * (owed != 1)}"
            if owed
            else f"{organisation.code} owes no figures"
        )
    query = {"year": period.year, **({"half_year": period.half_year} if period.half_year else {})}
    return {
        "label": f"{period.name}: results due {period.results_due:%d %b %Y}",
        "url": f"{_reverse('reporting:completeness')}?{urlencode(query)}",
        "note": " · ".join(parts),
    }


def deadlines_panel(user) -> dict:
    """The reporting periods under way, their deadlines, and what the user's organisation owes."""
    periods = periods_open(timezone.localdate())
    return {
        "id": "deadlines",
        "title": "Reporting deadlines",
        "count": len(periods),
        "items": [_deadline_item(user, period) for period in periods],
        "link": {"url": _reverse("reporting:completeness"), "label": "Who has reported"},
        "empty": "No reporting period is under way: the EMPACT support team sets the deadlines.",
        "help": "Results are due by the first date; leaders, drivers and the hub validate them by the second.",
    }


def abilities(request) -> list[str]:
    user = request.user
    if can_publish(user):
        return [
            "You read every factsheet version, compile them and publish them (publishing locks the year)."
        ]
    if can_compile(user):
        return [
            "You read every factsheet version and may compile them; the EMPACT support team publishes them."
        ]
    return ["You read the published factsheets."]
