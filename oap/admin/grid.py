"""The results grid: one organisation's figures for one action and reporting period, on one page.

Every counter is a row (those the action's priority usually reports first, the others folded by
category), with its current value and status. The page reads through `selectors.period_grid` and
writes through `services.results_save_period` — the one row checker, all or nothing — so a bad
figure is named beside its row and nothing is saved. "Save and submit" then submits every open
figure of the period.

Reached at `<action id>/results/?period=2026-H1` from the action's page, the actions list and the
dashboard. The action is found through the scoped queryset (a hidden action answers like a missing
id); an organisation that may not record figures in it is refused with 403, saying only what the
user may already see (whether their organisation takes part).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone

from .. import access, selectors, services
from ..choices import EntryStatus
from ..formats import number, plain
from ..models import OperationalAction, Organisation, ResultEntry, period_name
from ..services.checks import action_years, period_label

GRID_TEMPLATE = "admin/oap/operationalaction/results_grid.html"
STATUS_NOTES = {
    EntryStatus.SUBMITTED: "waits for validation",
    EntryStatus.VALIDATED: "accepted",
}


def period_key(year: int, half_year: int | None) -> str:
    return f"{year}-H{half_year}" if half_year else str(year)


def parse_period(text: str) -> tuple[int, int | None] | None:
    """`2026` or `2026-H1` → (2026, None) / (2026, 1); anything else → None."""
    year, _, half = (text or "").partition("-H")
    if not year.isdigit() or len(year) != 4 or half not in ("", "1", "2"):
        return None
    return int(year), int(half) if half else None


def grid_url(
    action: OperationalAction, year: int | None = None, half_year: int | None = None, **query
) -> str:
    url = reverse("admin:oap_operationalaction_results", args=[action.pk])
    if year is not None:
        query = {"period": period_key(year, half_year), **query}
    return f"{url}?{urlencode(query)}" if query else url


def results_list_url(action: OperationalAction, **query) -> str:
    """The results list narrowed to the action (and to what `query` adds: a year, a counter)."""
    url = reverse("admin:oap_resultentry_changelist")
    return f"{url}?{urlencode({'action': action.code, **query})}"


def default_period(action: OperationalAction, organisation, today: datetime.date) -> tuple[int, int | None]:
    """The period to open: the one due soonest if the action runs then, else the action's latest
    year up to today; by half-years when the organisation reports that year by halves."""
    first, last = action_years(action)
    year, half_year = selectors.default_period(today)
    if not first <= year <= last:
        year, half_year = max(first, min(last, today.year)), None
    halves = set(
        ResultEntry.objects.filter(action=action, organisation=organisation, year=year).values_list(
            "half_year", flat=True
        )
    )
    if halves == {None}:
        return year, None
    if halves and None not in halves and half_year is None:
        return year, max(halves)
    return year, half_year


@dataclass
class Line:
    """One counter's row on the page."""

    row: selectors.GridRow
    typed: str  # what the input holds
    errors: list[str] = field(default_factory=list)

    @property
    def code(self) -> str:
        return self.row.counter.code

    @property
    def shown(self) -> str:
        entry = self.row.entry
        return number(entry.value, self.row.counter.unit) if entry is not None else "–"

    @property
    def status(self) -> str:
        entry = self.row.entry
        if entry is None:
            return "Not reported" if self.row.editable else "—"
        note = STATUS_NOTES.get(entry.status)
        return f"{entry.get_status_display()} ({note})" if note else entry.get_status_display()


@dataclass
class Group:
    label: str
    lines: list[Line]

    @property
    def open(self) -> bool:
        return any(line.row.entry is not None or line.errors for line in self.lines)


def _groups(lines: list[Line]) -> tuple[list[Line], list[Group]]:
    usual = [line for line in lines if line.row.usual]
    folded: dict[str, Group] = {}
    for line in lines:
        if not line.row.usual:
            label = str(line.row.counter.get_category_display())
            folded.setdefault(label, Group(label, [])).lines.append(line)
    return usual, list(folded.values())


class ResultsGridAdminMixin:
    """The grid's page on the operational actions' admin (a base of `OperationalActionAdmin`)."""

    def get_urls(self):
        return [
            path(
                "<path:object_id>/results/",
                self.admin_site.admin_view(self.results_grid_view),
                name="oap_operationalaction_results",
            ),
            *super().get_urls(),
        ]

    def grid_organisation(self, request, action: OperationalAction) -> Organisation:
        """Whose figures: the user's organisation; superusers choose among the participants."""
        reporting = access.organisations_reporting_for(request.user).filter(participations__action=action)
        asked = request.GET.get("organisation")
        if asked:
            found = reporting.filter(code=asked).first()
            if found is None:
                raise PermissionDenied("You record results for your own organisation only.")
            return found
        own = access.organisation_of(request.user)
        if own is not None:
            return own
        found = reporting.order_by("code").first()
        if found is None:
            raise PermissionDenied(f"No organisation takes part in {action.code} yet.")
        return found

    def results_grid_view(self, request, object_id):
        action = self.get_object(request, unquote(object_id))  # visible actions only
        if action is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        organisation = self.grid_organisation(request, action)
        if not access.can_record_result(request.user, action=action, organisation=organisation):
            if not access.role_allows(request.user, "add", ResultEntry):
                raise PermissionDenied("Your role does not allow you to record results.")
            raise PermissionDenied(
                f"{organisation.code} does not take part in {action.code}, so it records no results there."
            )
        periods = self._periods(action, organisation)
        asked = parse_period(request.GET.get("period", ""))
        if asked is None or asked not in periods:
            if request.GET.get("period"):
                raise Http404(f"{action.code} reports for no period “{request.GET['period']}”.")
            asked = default_period(action, organisation, timezone.localdate())
        year, half_year = asked
        rows = selectors.period_grid(
            user=request.user, action=action, organisation=organisation, year=year, half_year=half_year
        )
        lines = [Line(row, plain(row.entry.value) if row.entry is not None else "") for row in rows]
        status, errors = 200, []
        if request.method == "POST":
            done = self._save(request, action, organisation, year, half_year, lines)
            if done is None:
                return HttpResponseRedirect(request.get_full_path())
            status, errors = done
        return self._render(request, action, organisation, (year, half_year), periods, lines, errors, status)

    def _periods(self, action, organisation) -> dict[tuple[int, int | None], int]:
        """{(year, half-year): number of the organisation's figures} for every period of the action."""
        first, last = action_years(action)
        counts = {(year, half): 0 for year in range(first, last + 1) for half in (None, 1, 2)}
        reported = ResultEntry.objects.filter(action=action, organisation=organisation).values_list(
            "year", "half_year"
        )
        for key in reported:
            if key in counts:
                counts[key] += 1
        return counts

    def _save(self, request, action, organisation, year, half_year, lines) -> tuple[int, list[str]] | None:
        """Save what was typed; None when saved, else (status, page-level errors)."""
        figures = {}
        for line in lines:
            name = f"value-{line.code}"
            if name in request.POST:  # a row the form did not send stays as it is
                line.typed = request.POST[name]
                figures[line.code] = line.typed
        submit = "_submit" in request.POST
        try:
            saved = services.results_save_period(
                by=request.user,
                action=action,
                organisation=organisation,
                year=year,
                half_year=half_year,
                figures=figures,
                submit=submit,
            )
        except services.RowErrors as error:
            codes = list(figures)
            by_code = {line.code: line for line in lines}
            for index, found in error.rows.items():
                by_code[codes[index]].errors = [
                    message for messages_ in found.values() for message in messages_
                ]
            count = len(error.rows)
            which = "1 figure cannot" if count == 1 else f"{count} figures cannot"
            return 400, [f"{which} be saved (the reason is beside each); nothing was saved."]
        except services.Hidden as error:
            raise Http404(str(error)) from error
        except PermissionDenied as error:
            return 403, [str(error)]
        except services.Conflict as error:
            return 409, list(error.messages)
        except ValidationError as error:
            return 400, list(error.messages)
        self.message_user(
            request, _saved_message(saved, organisation, action, year, half_year), messages.SUCCESS
        )
        return None

    def _render(self, request, action, organisation, period, periods, lines, errors, status):
        year, half_year = period
        usual, folded = _groups(lines)
        editable = any(line.row.editable for line in lines)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Results of {organisation.code} · {period_name(year, half_year)}",
            "subtitle": str(action),
            "opts": self.opts,
            "app_label": self.opts.app_label,
            "original": action,
            "action": action,
            "organisation": organisation,
            "organisations": access.organisations_reporting_for(request.user)
            .filter(participations__action=action)
            .order_by("code")
            if access.organisation_of(request.user) is None
            else [],
            "period_key": period_key(year, half_year),
            "period_label": period_label(year, half_year),
            "periods": [
                {"key": period_key(y, h), "label": period_label(y, h), "count": n}
                for (y, h), n in periods.items()
            ],
            "deadline": selectors.reporting_deadline(year, half_year),
            "locked": services.locked_message(year),
            "usual": usual,
            "folded": folded,
            "editable": editable,
            "errors": errors,
            "open_count": sum(
                1 for line in lines if line.row.entry is not None and line.row.entry.status in _OPEN
            ),
            "results_list_url": results_list_url(action, organisation__id__exact=organisation.pk, year=year),
            "action_url": reverse("admin:oap_operationalaction_change", args=[action.pk]),
            "has_view_permission": True,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, GRID_TEMPLATE, context, status=status)


_OPEN = (EntryStatus.DRAFT, EntryStatus.RETURNED)


def _saved_message(saved, organisation, action, year, half_year) -> str:
    done = [
        f"{count} {word}"
        for count, word in (
            (saved.created, "recorded"),
            (saved.updated, "changed"),
            (saved.deleted, "removed"),
            (saved.submitted, "submitted for validation"),
        )
        if count
    ]
    where = f"{organisation.code}'s figures for {action.code}, {period_name(year, half_year)}"
    if not done:
        return f"Nothing to save: {where} are as they were."
    return f"Saved {where}: " + ", ".join(done) + "."


def summary_lines(action: OperationalAction, rows: list[selectors.CounterYear]) -> list[dict]:
    """The action page's summary rows: totals for people, statuses counted, a link to the figures."""
    return [
        {
            "counter": row.counter,
            "year": row.year,
            "validated_total": number(row.validated_total, row.counter.unit)
            if row.validated_total is not None
            else "–",
            "total": number(row.total, row.counter.unit),
            "counts": [row.counts.get(status, 0) for status in EntryStatus.values],
            "url": results_list_url(action, year=row.year, result_type__id__exact=row.counter.pk),
        }
        for row in rows
    ]
