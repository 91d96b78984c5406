"""Reads that are more than a restrict: totals, waiting lists, dashboard panels, export rows.

Every one starts from the access rule (`oap.access`): a total never counts a row the user could
not open, a list never holds one.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal
from typing import NamedTuple

from django.db.models import (
    BooleanField,
    Case,
    Count,
    F,
    FilteredRelation,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)

from . import access
from .choices import ActionStatus, EntryStatus, OrganisationKind
from .completeness import Cell, Completeness
from .models import (
    OperationalAction,
    Organisation,
    Participation,
    ReportingPeriod,
    ResultEntry,
    ResultType,
    period_bounds,
)
from .services import refusal


def action_totals(user, action_ids) -> dict[int, dict[str, dict[str, Decimal]]]:
    """{action id: {year: {counter code: total}}} of the validated entries `user` may see.

    One grouped query for the given actions (a page of a list); totals as the database sums them
    (the caller formats them once, e.g. the API as JSON numbers).
    """
    action_ids = list(action_ids)
    entries = access.restrict(
        ResultEntry.objects.filter(action_id__in=action_ids, status=EntryStatus.VALIDATED),
        user,
        among=action_ids,
    )
    totals: dict[int, dict[str, dict[str, Decimal]]] = defaultdict(dict)
    grouped = (
        entries.order_by()
        .values_list("action_id", "year", "result_type__code")
        .annotate(total=Sum("value"))
        .order_by("action_id", "year", "result_type__order", "result_type__code")
    )
    for action_id, year, code, total in grouped:
        totals[action_id].setdefault(str(year), {})[code] = total
    return totals


class GridRow(NamedTuple):
    """One counter of the results grid: its current entry (if any) and whether it may change."""

    counter: ResultType
    entry: ResultEntry | None
    editable: bool
    usual: bool  # this action's priority usually reports it: shown first, unfolded


def period_grid(*, user, action, organisation, year: int, half_year: int | None) -> list[GridRow]:
    """Every counter for one action, organisation and period: the usual ones first (most reported
    in the action's priority), then the others by category, "of which" counters after their parent."""
    counters = list(ResultType.objects.select_related("parent").order_by("order", "code"))
    reported = dict(
        ResultEntry.objects.filter(action__plan__priority_id=action.plan.priority_id)
        .order_by()
        .values_list("result_type_id")
        .annotate(n=Count("pk"))
    )
    entries = {
        entry.result_type_id: entry
        for entry in access.restrict(
            ResultEntry.objects.filter(
                action=action, organisation=organisation, year=year, half_year=half_year
            ),
            user,
        ).select_related("action", "organisation", "result_type")
    }
    may_record = access.can_record_result(user, action=action, organisation=organisation)
    rows = []
    for counter in counters:
        entry = entries.get(counter.pk)
        editable = refusal(user, entry, "change") is None if entry is not None else may_record
        rows.append(GridRow(counter, entry, editable, reported.get(counter.pk, 0) > 0))
    rank = {row.counter.pk: (not row.usual, -reported.get(row.counter.pk, 0)) for row in rows}

    def key(row):
        top = row.counter.parent or row.counter  # an "of which" counter right after its parent
        return (
            *rank[top.pk],
            row.counter.category if not row.usual else "",
            top.order,
            top.code,
            row.counter.parent_id is not None,
        )

    return sorted(rows, key=key)


# --- reporting periods: deadlines and completeness -------------------------------------------

#: the actions expected to report for a period: running, or run (planned and cancelled ones report nothing)
REPORTING_STATUSES = (ActionStatus.ONGOING, ActionStatus.COMPLETED, ActionStatus.NOT_COMPLETED)


def reporting_deadline(year: int, half_year: int | None = None) -> ReportingPeriod | None:
    """The deadlines that apply to figures of `year` (and `half_year`): the half-year's own period,
    else the whole year's; None when the hub has set none."""
    periods = {p.half_year: p for p in ReportingPeriod.objects.filter(year=year)}
    return periods.get(half_year) or periods.get(None)


def periods_open(on: datetime.date) -> list[ReportingPeriod]:
    """Periods under way on `on`: begun, and their validation not yet closed; soonest due first."""
    found = [p for p in ReportingPeriod.objects.filter(validation_closes__gte=on) if p.bounds[0] <= on]
    return sorted(found, key=lambda p: (p.results_due, p.year, p.half_year or 0))


def default_period(on: datetime.date) -> tuple[int, int | None]:
    """The period to show first: the one due soonest among those under way, else the latest set,
    else the year of `on`."""
    under_way = periods_open(on)
    if under_way:
        return under_way[0].year, under_way[0].half_year
    latest = ReportingPeriod.objects.first()
    return (latest.year, latest.half_year) if latest else (on.year, None)


def expected_participations(year: int, half_year: int | None = None) -> QuerySet:
    """Participations in the actions that report for the period (every one, unscoped): actions
    running or run, whose dates (or, without them, their plan's years) meet the period."""
    start, end = period_bounds(year, half_year)
    return Participation.objects.filter(
        Q(action__start__lte=end) | Q(action__start__isnull=True, action__plan__start_year__lte=year),
        Q(action__end__gte=start) | Q(action__end__isnull=True, action__plan__end_year__gte=year),
        action__status__in=REPORTING_STATUSES,
    )


def _flag(q: Q):
    if q is access.EVERYTHING or q == Q():
        return Value(True)
    if q is access.NOTHING:
        return Value(False)
    return Case(When(q, then=Value(True)), default=Value(False), output_field=BooleanField())


def _count(status_q: Q, disclosed: Q):
    if disclosed is access.NOTHING:
        return Value(0)
    condition = status_q if disclosed is access.EVERYTHING or disclosed == Q() else status_q & disclosed
    return Count("figures", filter=condition)


def cells_of(participations: QuerySet, year: int, half_year: int | None, disclosed: Q) -> list[Cell]:
    """The cells of `participations` for the period, in ONE grouped query.

    Figures not yet validated are counted only where `disclosed` (a Q on the participation's
    organisation and action: `access.unvalidated_visible_q`) holds. A whole-year period counts
    every figure of the year; a half-year, that half's.
    """
    period = Q(action__results__organisation=F("organisation_id"), action__results__year=year)
    if half_year is not None:
        period &= Q(action__results__half_year=half_year)
    rows = (
        participations.annotate(figures=FilteredRelation("action__results", condition=period))
        .annotate(disclosed=_flag(disclosed))
        .order_by()
        .values_list("action_id", "organisation_id", "role", "disclosed")
        .annotate(
            validated=Count("figures", filter=Q(figures__status=EntryStatus.VALIDATED)),
            submitted=_count(Q(figures__status=EntryStatus.SUBMITTED), disclosed),
            open=_count(Q(figures__status__in=[EntryStatus.DRAFT, EntryStatus.RETURNED]), disclosed),
        )
    )
    return [Cell(*row) for row in rows]


def completeness(
    *,
    user,
    year: int,
    half_year: int | None = None,
    plan: Sequence[str] = (),
    priority: Sequence[str] = (),
    kind: Sequence[str] = (),
    organisation: Sequence[str] = (),
) -> Completeness:
    """The completeness matrix of a period as `user` may see it (filters: codes or kinds, any of each).

    Only actions the user may see, and of the other organisations' figures only what the access
    rule shows them: validated figures everywhere, the rest where they report or review.
    """
    participations = access.restrict(expected_participations(year, half_year), user)
    for values, lookup in (
        (plan, "action__plan__code__in"),
        (priority, "action__plan__priority__code__in"),
        (kind, "organisation__kind__in"),
        (organisation, "organisation__code__in"),
    ):
        if values:
            participations = participations.filter(**{lookup: list(values)})
    found = cells_of(participations, year, half_year, access.unvalidated_visible_q(user))
    actions = OperationalAction.objects.filter(pk__in={c.action_id for c in found}).select_related("plan")
    kinds = {value: index for index, value in enumerate(OrganisationKind.values)}
    organisations = sorted(
        Organisation.objects.filter(pk__in={c.organisation_id for c in found}),
        key=lambda o: (kinds.get(o.kind, len(kinds)), o.code),
    )
    return Completeness(
        year=year,
        half_year=half_year,
        period=reporting_deadline(year, half_year),
        actions=sorted(actions, key=lambda a: (a.plan.code, a.code)),
        organisations=organisations,
        cells={(c.action_id, c.organisation_id): c for c in found},
    )


def owing(year: int, half_year: int | None = None) -> dict[int, list[int]]:
    """{organisation id: [action ids]} of the organisations that still owe figures for the period:
    nothing reported, or figures not all submitted (system-wide, for the reminders)."""
    found: dict[int, list[int]] = defaultdict(list)
    for cell in cells_of(expected_participations(year, half_year), year, half_year, access.EVERYTHING):
        if cell.state in ("none", "reported"):
            found[cell.organisation_id].append(cell.action_id)
    return dict(found)


# --- one action's results, summed (the action's page) ------------------------------------------


class CounterYear(NamedTuple):
    """One counter and year of an action: totals and how many figures stand in each status."""

    counter: ResultType
    year: int
    validated_total: Decimal | None  # what counts in the factsheets
    total: Decimal  # every figure the user may see
    counts: dict[str, int]  # {status: figures}


def action_results_summary(*, user, action) -> list[CounterYear]:
    """Totals per counter and year of the action's figures `user` may see, in ONE grouped query.

    Figures not yet validated count only where the access rule shows them to the user (their
    organisation's, those they review, all for the hub); everyone else sees validated ones only.
    Latest year first, counters in catalogue order.
    """
    entries = access.restrict(ResultEntry.objects.filter(action=action), user)
    rows = (
        entries.order_by()
        .values_list("year", "result_type_id")
        .annotate(
            validated_total=Sum("value", filter=Q(status=EntryStatus.VALIDATED)),
            total=Sum("value"),
            **{status: Count("pk", filter=Q(status=status)) for status in EntryStatus.values},
        )
    )
    counters = ResultType.objects.in_bulk({row[1] for row in rows})
    found = [
        CounterYear(
            counters[type_id], year, validated, total, dict(zip(EntryStatus.values, counts, strict=True))
        )
        for year, type_id, validated, total, *counts in rows
    ]
    return sorted(found, key=lambda row: (-row.year, row.counter.order, row.counter.code))
