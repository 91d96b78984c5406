"""Reads that are more than a restrict: totals, waiting lists, dashboard panels, export rows.

Every one starts from the access rule (`oap.access`): a total never counts a row the user could
not open, a list never holds one.
"""

from __future__ import annotations

from collections import defaultdict
from typing import NamedTuple

from django.db.models import Count, Sum

from . import access
from .choices import EntryStatus
from .formats import plain
from .models import ResultEntry, ResultType
from .services import refusal


def action_totals(user, action_ids) -> dict[int, dict[str, dict[str, str]]]:
    """{action id: {year: {counter code: total}}} of the validated entries `user` may see.

    One grouped query for the given actions (a page of a list); totals in plain notation.
    """
    entries = access.restrict(
        ResultEntry.objects.filter(action_id__in=list(action_ids), status=EntryStatus.VALIDATED), user
    )
    totals: dict[int, dict[str, dict[str, str]]] = defaultdict(dict)
    grouped = (
        entries.order_by()
        .values_list("action_id", "year", "result_type__code")
        .annotate(total=Sum("value"))
        .order_by("action_id", "year", "result_type__order", "result_type__code")
    )
    for action_id, year, code, total in grouped:
        totals[action_id].setdefault(str(year), {})[code] = plain(total)
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
