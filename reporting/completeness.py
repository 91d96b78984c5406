"""The completeness page: who has reported for a period — plans and actions × organisations.

- `/reports/completeness/?year=2026&half_year=2` — the matrix (cells coloured by state, each with
  its mark, so the state never rests on colour alone), totals per row and column, filters by
  plan, priority, organisation kind and organisation, the deadlines, and the reporting rate per
  plan and per organisation as bar charts;
- `/reports/completeness/completeness.csv|completeness.xlsx` — the same cells, one row each
  (`oap.export`).

What each cell says is the selector's (`oap.selectors.completeness`): the access rule decides.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import render
from django.utils import timezone

from oap import access, export
from oap.choices import OrganisationKind, ParticipationRole
from oap.completeness import CELL_STATES, Tally, read_query
from oap.formats import number
from oap.models import OperationalActionPlan, PriorityCrimeArea, ReportingPeriod
from oap.selectors import completeness, default_period

FILTERS = ("plan", "priority", "kind", "organisation")
HEADER = [
    "plan",
    "action",
    "action_title",
    "organisation",
    "organisation_name",
    "organisation_kind",
    "role",
    "state",
    "state_label",
    "validated_figures",
    "submitted_figures",
    "open_figures",
]


def rate_text(tally: Tally) -> str:
    if tally.rate is None:
        return "–"
    return f"{number(round(100 * tally.rate, 1))}\u00a0%"


def _bars(rows) -> list[dict]:
    return [
        {
            "code": code,
            "label": label,
            "rate": rate_text(tally),
            "width": round(100 * (tally.rate or 0), 1),
            "delivered": tally.delivered,
            "expected": tally.expected,
        }
        for code, label, tally in rows
    ]


def _matrix(result) -> list[dict]:
    """Plans, each with its actions' rows of cells (None where the organisation takes no part)."""
    by_action, by_plan = result.by_action(), result.by_plan()
    plans: dict[int, dict] = {}
    for action in result.actions:
        plan = plans.setdefault(
            action.plan_id, {"plan": action.plan, "tally": by_plan[action.plan_id], "rows": []}
        )
        cells = []
        for organisation in result.organisations:
            cell = result.cells.get((action.pk, organisation.pk))
            cells.append(
                None
                if cell is None
                else {"cell": cell, "state": CELL_STATES[cell.state], "organisation": organisation}
            )
        plan["rows"].append({"action": action, "cells": cells, "tally": by_action[action.pk]})
    return list(plans.values())


def _period_choices(current: tuple) -> list[dict]:
    periods = [(p.year, p.half_year, p.name) for p in ReportingPeriod.objects.all()]
    if current not in {(year, half) for year, half, _ in periods}:
        periods.insert(0, (*current, f"{current[0]} H{current[1]}" if current[1] else str(current[0])))
    return [
        {
            "value": f"{year}-{half or 0}",
            "label": name,
            "query": {"year": year, **({"half_year": half} if half else {})},
            "selected": (year, half) == current,
        }
        for year, half, name in periods
    ]


@login_required
def completeness_page(request):
    user = request.user
    query, errors = read_query(user, request.GET)
    if errors:
        year, half_year = default_period(timezone.localdate())
        query = {"year": year, "half_year": half_year, **{name: [] for name in FILTERS}}
    result = completeness(user=user, **query)
    by_organisation = result.by_organisation()
    filters = {name: query[name] for name in FILTERS if query.get(name)}  # lists of codes
    period_query = {"year": result.year, **({"half_year": result.half_year} if result.half_year else {})}
    download = urlencode({**period_query, **filters}, doseq=True)
    context = {
        **admin.site.each_context(request),
        "title": f"Who has reported: {result.name}",
        "result": result,
        "errors": errors,
        "query": query,
        "states": list(CELL_STATES.values()),
        "plans": _matrix(result),
        "columns": [
            {"organisation": o, "tally": by_organisation[o.pk], "rate": rate_text(by_organisation[o.pk])}
            for o in result.organisations
        ],
        "total": result.total(),
        "total_rate": rate_text(result.total()),
        "plan_bars": _bars((p.code, p.name, result.by_plan()[p.pk]) for p in result.plans()),
        "organisation_bars": _bars((o.code, o.name, by_organisation[o.pk]) for o in result.organisations),
        "periods": _period_choices((result.year, result.half_year)),
        "plan_choices": access.restrict(OperationalActionPlan.objects.all(), user).order_by("code"),
        "priority_choices": PriorityCrimeArea.objects.select_related("cycle").order_by(
            "-cycle__start_year", "number"
        ),
        "kind_choices": OrganisationKind.choices,
        "limited": any(not cell.disclosed for cell in result.cells.values()),
        "downloads": [
            {"label": "CSV", "url": f"completeness.csv?{download}"},
            {"label": "XLSX", "url": f"completeness.xlsx?{download}"},
        ],
    }
    return render(request, "reporting/completeness.html", context, status=400 if errors else 200)


def rows_of(result):
    """One row per cell, plans and actions in order, organisations by kind and code."""
    roles = dict(ParticipationRole.choices)
    kinds = dict(OrganisationKind.choices)
    for action in result.actions:
        for organisation in result.organisations:
            cell = result.cells.get((action.pk, organisation.pk))
            if cell is None:
                continue
            yield [
                action.plan.code,
                action.code,
                action.title,
                organisation.code,
                organisation.name,
                str(kinds.get(organisation.kind, organisation.kind)),
                str(roles.get(cell.role, cell.role)),
                cell.state,
                CELL_STATES[cell.state].label,
                cell.validated,
                cell.submitted if cell.disclosed else None,
                cell.open if cell.disclosed else None,
            ]


@login_required
def completeness_download(request, kind: str):
    if kind not in ("csv", "xlsx"):
        raise Http404("No such file.")
    query, errors = read_query(request.user, request.GET)
    if errors:
        text = "; ".join(f"{field}: {' '.join(messages)}" for field, messages in errors.items())
        return HttpResponseBadRequest(text, content_type="text/plain; charset=utf-8")
    result = completeness(user=request.user, **query)
    stem = f"empact-completeness-{result.name.replace(' ', '-').lower()}"
    return export.download(kind, stem, HEADER, rows_of(result))
