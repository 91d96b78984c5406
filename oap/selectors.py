"""Reads that are more than a restrict: totals, waiting lists, dashboard panels, export rows.

Every one starts from the access rule (`oap.access`): a total never counts a row the user could
not open, a list never holds one.
"""

from __future__ import annotations

from collections import defaultdict

from django.db.models import Sum

from . import access
from .choices import EntryStatus
from .formats import plain
from .models import ResultEntry


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
