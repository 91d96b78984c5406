"""`/api/v1/changes/`: what changed among the rows you may see, in commit order — the feed to mirror from.

Read from the audit trail (django-simple-history's records of actions, result entries and
participations). Each item says that a row was `created`, `updated`, `deleted`, or `hidden` (it
still exists, but you may no longer see it: a returned entry of another organisation, an action
whose handling level narrowed or that your organisation left). A participation added or removed is
an `updated` of its action (or `hidden`, for the organisation it removed from a `participants`
action). The cursor (`since`) is the position of the last change returned.

A change is returned only once it is older than the **write horizon**: the start of the oldest
transaction still writing (PostgreSQL: `pg_stat_activity`), less `API_CHANGES_SETTLE_SECONDS` for
the clocks of application and database servers; on SQLite, now less that margin. A record older
than the horizon is committed (or gone) for good, so a change that commits late is never behind
a cursor already handed out: the feed waits for it instead of skipping it.

Visibility is the access rule's (`oap.access.scope_q`), asked of the rows now and of their
recorded versions: a deleted or hidden row is reported only to callers who could see one of its
versions, or whose organisation took part in the action.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import json

from django.conf import settings
from django.db import connection
from django.db.models import Min, Q
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, serializers
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.utils.urls import replace_query_param
from rest_framework.views import APIView

from oap import access
from oap.models import OperationalAction, Participation, ResultEntry

from .base import ApiViewMixin

#: (type, model whose history is read, detail route, lookup attribute, the changed row's id in a
#: record): the order is the tie-break between feeds. A participation added or removed is a change
#: of its action (its participants are part of it, and decide who sees it).
FEEDS = [
    ("action", OperationalAction, "api:action-detail", "code", "id"),
    ("result", ResultEntry, "api:result-detail", "pk", "id"),
    ("action", Participation, "api:action-detail", "code", "action_id"),
]
SUBJECTS = {"action": OperationalAction, "result": ResultEntry}
DEFAULT_SIZE, MAX_SIZE = 100, 500


def write_horizon() -> datetime.datetime:
    """Before this instant, every change recorded is committed or rolled back for good (see the module)."""
    horizon = timezone.now()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT min(xact_start) FROM pg_stat_activity WHERE backend_xid IS NOT NULL "
                "AND pid <> pg_backend_pid() AND datname = current_database()"
            )
            oldest = cursor.fetchone()[0]
        if oldest is not None:
            horizon = min(horizon, oldest)
    return horizon - datetime.timedelta(seconds=settings.API_CHANGES_SETTLE_SECONDS)


def _encode(at: datetime.datetime, rank: int, history_id: int) -> str:
    text = json.dumps([at.isoformat(), rank, history_id], separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode("ascii").rstrip("=")


def _decode(raw: str) -> tuple[datetime.datetime, int, int]:
    try:
        at, rank, history_id = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
        at = datetime.datetime.fromisoformat(at)
        if at.tzinfo is None or not isinstance(rank, int) or not isinstance(history_id, int):
            raise ValueError(raw)
    except (ValueError, TypeError, UnicodeError, binascii.Error) as error:
        raise exceptions.ValidationError(
            {"since": ["Give the `cursor` of an earlier page, `now`, or nothing (from the start)."]}
        ) from error
    return at, rank, history_id


def _after(rank: int, cursor) -> Q:
    """History records of feed `rank` that come after `cursor` in (time, feed, record id) order."""
    at, cursor_rank, history_id = cursor
    if rank > cursor_rank:
        return Q(history_date__gte=at)
    if rank < cursor_rank:
        return Q(history_date__gt=at)
    return Q(history_date__gt=at) | Q(history_date=at, history_id__gt=history_id)


def _on_history(q: Q) -> Q:
    """The access rule's Q for a model, asked of its history records (`pk` is the row's `id` there)."""
    copy = Q()
    copy.connector, copy.negated = q.connector, q.negated
    for child in q.children:
        if isinstance(child, Q):
            copy.children.append(_on_history(child))
        else:
            lookup, value = child
            if lookup == "pk" or lookup.startswith("pk__"):
                lookup = "id" + lookup[2:]
            copy.children.append((lookup, value))
    return copy


class ChangeSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=list(SUBJECTS), help_text="The kind of row.")
    id = serializers.IntegerField(help_text="The row's id.")
    code = serializers.CharField(allow_null=True, help_text="An action's code (null for results).")
    change = serializers.ChoiceField(
        choices=["created", "updated", "deleted", "hidden"],
        help_text="`created`/`updated`: GET `url` for the row as it is now; `deleted`: gone; `hidden`: "
        "it exists but you may no longer see it (drop it, and an action's results with it).",
    )
    at = serializers.DateTimeField(help_text="When the change was recorded (UTC).")
    url = serializers.URLField(allow_null=True, help_text="The row in the API (null once deleted or hidden).")


class ChangesPageSerializer(serializers.Serializer):
    results = ChangeSerializer(many=True, help_text="The changes, oldest first.")
    cursor = serializers.CharField(help_text="Where this page ends: the `since` of the next request.")
    next = serializers.URLField(help_text="The next request: this page's URL with `since=<cursor>`.")
    more = serializers.BooleanField(help_text="True when more changes wait: ask `next` at once.")


class ChangesView(ApiViewMixin, APIView):
    @extend_schema(
        summary="What changed among the rows you may see, in commit order (the feed to mirror from)",
        description="Changes of operational actions (their participants included) and result entries, oldest "
        "first. Start with "
        "`since=now` (or no `since` for the whole history), keep the returned `cursor`, and ask "
        "again with `since=<cursor>`: while `more` is true at once, then every few minutes. A change "
        "committed late is never skipped: the feed holds back changes until every transaction that "
        "could still commit before them has ended (a few seconds). See docs/api.md, the sync recipe.",
        parameters=[
            OpenApiParameter(
                "since",
                OpenApiTypes.STR,
                description="The `cursor` of the previous page; `now` for the current position; none: "
                "from the start of the history.",
            ),
            OpenApiParameter(
                "page_size",
                {"type": "integer", "minimum": 1, "maximum": MAX_SIZE},
                description=f"Changes per page (default {DEFAULT_SIZE}).",
            ),
        ],
        responses={200: ChangesPageSerializer},
        tags=["changes"],
    )
    def get(self, request):
        size = self._size(request)
        horizon = write_horizon()
        since = request.query_params.get("since")
        if since == "now":
            return self._page(request, [], _encode(horizon, -1, 0), more=False)
        cursor = _decode(since) if since else (datetime.datetime(1, 1, 1, tzinfo=datetime.UTC), -1, 0)
        records = []
        for rank, (_kind, model, *_) in enumerate(FEEDS):
            history = model.history.model.objects.filter(_after(rank, cursor), history_date__lt=horizon)
            for record in history.order_by("history_date", "history_id")[: size + 1]:
                records.append((record.history_date, rank, record.history_id, record))
        records.sort(key=lambda item: item[:3])
        more = len(records) > size
        records = records[:size]
        if more or records:
            at, rank, history_id, _ = records[-1]
            position = _encode(at, rank, history_id)
        else:  # every change before the horizon has been seen
            position = _encode(max(horizon, cursor[0]), -1, 0)
        return self._page(request, self._items(request, records), position, more=more)

    @staticmethod
    def _size(request) -> int:
        raw = request.query_params.get("page_size", str(DEFAULT_SIZE))
        if not raw.isdigit() or not 1 <= int(raw) <= MAX_SIZE:
            raise exceptions.ValidationError({"page_size": [f"Give a whole number from 1 to {MAX_SIZE}."]})
        return int(raw)

    def _page(self, request, items, position, *, more):
        url = replace_query_param(request.build_absolute_uri(), "since", position)
        return Response({"results": items, "cursor": position, "next": url, "more": more})

    def _items(self, request, records) -> list[dict]:
        user, items = request.user, []
        states = {rank: self._state(user, rank, records) for rank in {r for _, r, _, _ in records}}
        for at, rank, _, record in records:
            kind, model, route, lookup, subject = FEEDS[rank]
            visible, existing, seen = states[rank]
            row_id = getattr(record, subject)
            row = visible.get(row_id)
            if row is not None:
                change = "created" if record.history_type == "+" and model is SUBJECTS[kind] else "updated"
            elif row_id not in seen or seen[row_id] > at:
                continue  # never yours to see (up to this change)
            elif row_id not in existing:
                if record.history_type != "-" or model is not SUBJECTS[kind]:
                    continue  # its deletion follows in the feed
                change = "deleted"
            else:
                change = "hidden"
            items.append(
                {
                    "type": kind,
                    "id": row_id,
                    "code": getattr(existing.get(row_id) or record, "code", None)
                    if kind == "action"
                    else None,
                    "change": change,
                    "at": at,
                    "url": reverse(route, args=[getattr(row, lookup)], request=request) if row else None,
                }
            )
        return ChangeSerializer(items, many=True).data

    @staticmethod
    def _state(user, rank: int, records) -> tuple[dict, dict, dict]:
        """For the rows the records of feed `rank` change: those the user sees now (by id), those
        that exist, and when the user could first see each (one of its versions, or for an action
        the user's organisation taking part in it: participants always see their actions)."""
        kind, _model, _route, _lookup, subject = FEEDS[rank]
        model = SUBJECTS[kind]
        ids = {getattr(record, subject) for _, r, _, record in records if r == rank}
        rows = model.objects.filter(pk__in=ids)
        visible = {row.pk: row for row in access.restrict(rows, user, "view")}
        existing = {row.pk: row for row in rows}
        seen = dict(
            model.history.model.objects.filter(id__in=ids)
            .filter(_on_history(access.scope_q(model, user, "view")))
            .values("id")
            .annotate(first=Min("history_date"))
            .values_list("id", "first")
        )
        organisation = access.organisation_of(user)
        if model is OperationalAction and organisation is not None:
            joined = (
                Participation.history.model.objects.filter(action_id__in=ids, organisation_id=organisation.pk)
                .values("action_id")
                .annotate(first=Min("history_date"))
                .values_list("action_id", "first")
            )
            for action_id, first in joined:
                seen[action_id] = min(first, seen.get(action_id, first))
        return visible, existing, seen
