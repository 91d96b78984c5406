"""List pages without model instances: the same JSON as the serializers, from flat rows.

A page of 50 operational actions through `ActionSerializer` builds about a thousand model
instances (actions, plans, priorities, cycles, participations, organisations, CHSGs) to read a
few codes from them; that was most of a list request's time. Here a page is read with
`values()` (one query for the page, one per related list) and every field is formatted by the
serializer's own field (`to_representation`), so a list item is exactly what the serializer
gives for the same row — `tests/api/test_listing.py` compares the two on every demo row.

Detail pages, writes and the OpenAPI schema keep using the serializers.
"""

from __future__ import annotations

import functools
from collections import defaultdict

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import CharField, F, Func, QuerySet, Sum
from django.db.models.functions import Cast

from oap import access
from oap.choices import EntryStatus, ParticipationRole
from oap.models import OperationalAction, Participation

from . import serializers as s

#: action columns read from the table itself, formatted by the serializer's field of that name
ACTION_COLUMNS = (
    "id",
    "code",
    "title",
    "description",
    "status",
    "handling",
    "start",
    "end",
    "created_at",
    "updated_at",
)
#: columns read through a join: output name → ORM path
ACTION_JOINED = {
    "plan": "plan__code",
    "priority": "plan__priority__code",
    "cycle": "plan__priority__cycle__code",
}
RESULT_COLUMNS = (
    "id",
    "year",
    "half_year",
    "value",
    "status",
    "comment",
    "return_reason",
    "entered_at",
    "submitted_at",
    "validated_at",
    "updated_at",
)
RESULT_JOINED = {
    "action": "action__code",
    "organisation": "organisation__code",
    "result_type": "result_type__code",
}
_ALIAS = "_listing_"  # prefix of the joined columns' aliases (no clash with model fields)


@functools.cache
def _formatters(serializer_class, names) -> dict:
    """The serializer's `to_representation` per field (None stays None, as in DRF), built once."""
    fields = serializer_class().fields
    return {name: fields[name].to_representation for name in names}


def action_values(queryset: QuerySet) -> QuerySet:
    """The columns an action list item needs, as dicts (the page query)."""
    return queryset.values(*ACTION_COLUMNS, **{_ALIAS + k: F(v) for k, v in ACTION_JOINED.items()})


def result_values(queryset: QuerySet) -> QuerySet:
    """The columns a result list item needs, as dicts (the page query)."""
    return queryset.values(*RESULT_COLUMNS, **{_ALIAS + k: F(v) for k, v in RESULT_JOINED.items()})


def validated_totals(user, action_ids) -> dict[int, dict[str, dict[str, str]]]:
    """{action id: {year: {counter code: total}}} of the validated entries the user may see.

    Totals are written without trailing zeros (12.000 → "12", 1.500 → "1.5"): on PostgreSQL by
    the database (`trim_scale`), read with a plain cursor; elsewhere by Python.
    """
    entries = (
        access.visible_entries_of_actions(user, action_ids)
        .filter(status=EntryStatus.VALIDATED)
        .values_list("action_id", "year", "result_type__code")
        .order_by()
    )
    totals: dict[int, dict[str, dict[str, str]]] = defaultdict(lambda: defaultdict(dict))
    if connection.vendor == "postgresql":
        grouped = entries.annotate(total=Cast(Func(Sum("value"), function="trim_scale"), CharField()))
        try:
            sql, params = grouped.query.sql_with_params()
        except EmptyResultSet:
            return {}
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            for action_id, year, code, total in cursor.fetchall():
                totals[action_id][str(year)][code] = total
        return totals
    for action_id, year, code, total in entries.annotate(total=Sum("value")):
        totals[action_id][str(year)][code] = f"{total.normalize():f}"
    return totals


def actions(rows: list[dict], user) -> list[dict]:
    """List items of `rows` (from `action_values`): three more queries, whatever the page size."""
    formats = _formatters(s.ActionSerializer, ACTION_COLUMNS)
    ids = [row["id"] for row in rows]
    participants: dict[int, list[dict]] = defaultdict(list)
    leaders: dict[int, str] = {}
    # the prefetch order of ActionViewSet.optimise (role, then organisation code)
    for action_id, code, role in (
        Participation.objects.filter(action_id__in=ids)
        .order_by("role", "organisation__code", "pk")
        .values_list("action_id", "organisation__code", "role")
    ):
        participants[action_id].append({"organisation": code, "role": role})
        if role == ParticipationRole.LEADER:
            leaders.setdefault(action_id, code)
    chsgs: dict[int, list[str]] = defaultdict(list)
    through = OperationalAction.chsgs.through
    for action_id, code in (
        through.objects.filter(operationalaction_id__in=ids)
        .order_by("commonhorizontalstrategicgoal__number", "pk")
        .values_list("operationalaction_id", "commonhorizontalstrategicgoal__code")
    ):
        chsgs[action_id].append(code)
    totals = validated_totals(user, ids)
    items = []
    for row in rows:
        pk = row["id"]
        item = {name: (None if row[name] is None else formats[name](row[name])) for name in ACTION_COLUMNS}
        items.append(
            {
                "id": item["id"],
                "code": item["code"],
                "title": item["title"],
                "description": item["description"],
                "cycle": row[_ALIAS + "cycle"],
                "plan": row[_ALIAS + "plan"],
                "priority": row[_ALIAS + "priority"],
                "status": item["status"],
                "handling": item["handling"],
                "start": item["start"],
                "end": item["end"],
                "leader": leaders.get(pk),
                "participants": participants.get(pk, []),
                "chsgs": chsgs.get(pk, []),
                "totals": totals.get(pk, {}),
                "created_at": item["created_at"],
                "updated_at": item["updated_at"],
            }
        )
    return items


def results(rows: list[dict]) -> list[dict]:
    """List items of `rows` (from `result_values`): no further query."""
    formats = _formatters(s.ResultSerializer, RESULT_COLUMNS)
    items = []
    for row in rows:
        item = {name: (None if row[name] is None else formats[name](row[name])) for name in RESULT_COLUMNS}
        items.append(
            {
                "id": item["id"],
                "action": row[_ALIAS + "action"],
                "organisation": row[_ALIAS + "organisation"],
                "result_type": row[_ALIAS + "result_type"],
                "year": item["year"],
                "half_year": item["half_year"],
                "value": item["value"],
                "status": item["status"],
                "comment": item["comment"],
                "return_reason": item["return_reason"],
                "entered_at": item["entered_at"],
                "submitted_at": item["submitted_at"],
                "validated_at": item["validated_at"],
                "updated_at": item["updated_at"],
            }
        )
    return items
