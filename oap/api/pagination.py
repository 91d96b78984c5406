"""Pagination for every list: keyset pages in a stable order, as fast on page 1 000 as on page 1.

A page holds `page_size` rows (default 50, at most 500) and links to the `next` and `previous`
pages; the link's `cursor` carries the ordering values of the row it continues from, so the next
page is read straight from the index (`WHERE (year, action, …) after (…) LIMIT 50`) instead of
counting past every earlier row, and rows written meanwhile never shift a page. The total is
given only when asked (`count=true`), and then exactly.

The order is the list's `ordering` (see each endpoint), always ending with the primary key. A
NULL sorts as the greatest value (after every value ascending, first descending) on every
database, so a cursor means the same thing everywhere.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections import OrderedDict

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db.models import F, Q
from django.db.models.expressions import OrderBy
from django.db.models.fields.tuple_lookups import Tuple, TupleGreaterThan, TupleLessThan
from rest_framework import exceptions, pagination
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

MAX_PAGE_SIZE = 500


class _Encoder(json.JSONEncoder):
    """Ordering values as text, exactly (Django's encoder would cut microseconds to milliseconds)."""

    def default(self, o):
        if hasattr(o, "isoformat"):
            return o.isoformat()
        return str(o)  # Decimal, UUID


def _path_field(model, path: str):
    """The model field at the end of a lookup path such as `action__code` (or `pk`)."""
    field = None
    for part in path.split("__"):
        field = model._meta.pk if part == "pk" else model._meta.get_field(part)
        model = field.related_model or model
    return field


def _value(row, path: str):
    for part in path.split("__"):
        if row is None:
            return None
        row = getattr(row, part)
    return row


class KeysetPagination(pagination.BasePagination):
    """Pages of `page_size` rows after (or before) a cursor; `count=true` adds the exact total."""

    page_size = 50
    max_page_size = MAX_PAGE_SIZE
    page_size_query_param = "page_size"
    cursor_query_param = "cursor"
    count_query_param = "count"

    # --- the request ----------------------------------------------------------------------

    def get_page_size(self, request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        try:
            size = int(raw)
        except ValueError:
            size = 0
        if not 1 <= size <= self.max_page_size:
            raise exceptions.ValidationError(
                {"page_size": [f"Give a whole number from 1 to {self.max_page_size}."]}
            )
        return size

    def _ordering(self, queryset) -> list[tuple[str, bool]]:
        """(path, descending) of the queryset's order, ending with the primary key."""
        ordering = []
        for item in queryset.query.order_by or queryset.model._meta.ordering:
            name = item if isinstance(item, str) else item.expression.name
            descending = name.startswith("-") if isinstance(item, str) else item.descending
            ordering.append((name.lstrip("-"), descending))
        if not any(path in ("pk", queryset.model._meta.pk.name) for path, _ in ordering):
            ordering.append(("pk", False))
        return ordering

    def _decode(self, raw: str, ordering) -> tuple[bool, list]:
        """(backwards, values) of a cursor made for this ordering; a 400 naming `cursor` otherwise."""
        try:
            backwards, signature, values = json.loads(base64.urlsafe_b64decode(raw.encode("ascii")))
        except (ValueError, TypeError, UnicodeEncodeError, binascii.Error) as error:
            raise self._bad_cursor(
                "This cursor cannot be read; follow the `next` and `previous` links."
            ) from error
        if signature != [f"{'-' if desc else ''}{path}" for path, desc in ordering] or len(values) != len(
            ordering
        ):
            raise self._bad_cursor("This cursor belongs to another ordering; start again without it.")
        try:
            values = [
                None if value is None else _path_field(self.model, path).to_python(value)
                for (path, _), value in zip(ordering, values, strict=True)
            ]
        except (ValidationError, FieldDoesNotExist, TypeError) as error:
            raise self._bad_cursor(
                "This cursor cannot be read; follow the `next` and `previous` links."
            ) from error
        return bool(backwards), values

    @staticmethod
    def _bad_cursor(message: str) -> exceptions.ValidationError:
        return exceptions.ValidationError({"cursor": [message]})

    def _encode(self, backwards: bool, row, ordering) -> str:
        signature = [f"{'-' if desc else ''}{path}" for path, desc in ordering]
        values = [_value(row, path) for path, _ in ordering]
        text = json.dumps([int(backwards), signature, values], cls=_Encoder, separators=(",", ":"))
        return base64.urlsafe_b64encode(text.encode()).decode("ascii")

    # --- the page -------------------------------------------------------------------------

    @staticmethod
    def _after(ordering, values) -> Q:
        """Rows after `values` in `ordering` (NULL greatest): OR over each column of
        (every earlier column equal AND this one after)."""
        condition, equal = Q(pk__in=[]), Q()
        for (path, descending), value in zip(ordering, values, strict=True):
            if value is None:
                after = Q(pk__in=[]) if not descending else Q(**{f"{path}__isnull": False})
                same = Q(**{f"{path}__isnull": True})
            else:
                beyond = Q(**{f"{path}__{'lt' if descending else 'gt'}": value})
                after = beyond if descending else beyond | Q(**{f"{path}__isnull": True})
                same = Q(**{path: value})
            condition |= equal & after
            equal &= same
        return condition

    def _read(self, page, walk, values) -> list:
        """The page's rows after `values` in `walk`, one more than the page size (to know whether
        more follow), read by seeking in the index rather than scanning from the list's start.

        When no column of the ordering can be NULL, its last run of columns in one direction is
        compared as a row value — `(action, organisation, counter, id) > (…)` — which the database
        starts reading from the index at the cursor; each column before that run takes one more
        such read when a page crosses it (the rest of this year, then the years after), so a page
        costs the same at any depth. Otherwise one OR condition over the columns (`_after`).
        """
        limit = self.size + 1
        if values is None:
            return list(page[:limit])
        if any(self._nullable(path) for path, _ in walk):
            return list(page.filter(self._after(walk, values))[:limit])
        run = len(walk) - 1
        while run > 0 and walk[run - 1][1] == walk[-1][1]:
            run -= 1
        paths = [path for path, _ in walk]
        rows: list = []
        for level in range(run, -1, -1):
            equal = dict(zip(paths[:level], values[:level], strict=True))
            if level == run and len(walk) - run > 1:
                after = (TupleLessThan if walk[-1][1] else TupleGreaterThan)(
                    Tuple(*(F(path) for path in paths[run:])), tuple(values[run:])
                )
            else:
                after = Q(**{f"{paths[level]}__{'lt' if walk[level][1] else 'gt'}": values[level]})
            rows += page.filter(after, **equal)[: limit - len(rows)]
            if len(rows) == limit:
                break
        return rows

    def _nullable(self, path: str) -> bool:
        model = self.model
        for part in path.split("__"):
            field = model._meta.pk if part == "pk" else model._meta.get_field(part)
            if field.null:
                return True
            model = field.related_model or model
        return False

    def paginate_queryset(self, queryset, request, view=None):
        self.request, self.model = request, queryset.model
        self.size = self.get_page_size(request)
        ordering = self._ordering(queryset)
        raw = request.query_params.get(self.cursor_query_param)
        backwards, values = self._decode(raw, ordering) if raw else (False, None)
        self.count = queryset.count() if request.query_params.get(self.count_query_param) == "true" else None
        walk = [(path, desc != backwards) for path, desc in ordering]
        page = queryset.order_by(
            *(
                OrderBy(F(path), descending=desc, nulls_first=desc or None, nulls_last=(not desc) or None)
                for path, desc in walk
            )
        )
        rows = self._read(page, walk, values)
        more = len(rows) > self.size
        rows = rows[: self.size]
        if backwards:
            rows.reverse()
        has_next = more if not backwards else True  # walking back, we came from a later page
        has_previous = bool(raw) if not backwards else more
        self.next = self._link(False, rows[-1], ordering) if rows and has_next else None
        self.previous = self._link(True, rows[0], ordering) if rows and has_previous else None
        return rows

    def _link(self, backwards: bool, row, ordering) -> str:
        url = self.request.build_absolute_uri()
        return replace_query_param(url, self.cursor_query_param, self._encode(backwards, row, ordering))

    def get_paginated_response(self, data):
        body = OrderedDict(next=self.next, previous=self.previous)
        if self.count is not None:
            body["count"] = self.count
        body["results"] = data
        return Response(body)

    def get_first_link(self) -> str:
        return remove_query_param(self.request.build_absolute_uri(), self.cursor_query_param)

    def get_paginated_response_schema(self, schema):
        link = {"type": "string", "nullable": True, "format": "uri"}
        return {
            "type": "object",
            "required": ["next", "previous", "results"],
            "properties": {
                "next": {**link, "description": "The next page, or null on the last one."},
                "previous": {**link, "description": "The previous page, or null on the first one."},
                "count": {"type": "integer", "description": "The exact total, when asked with `count=true`."},
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": "Where the page starts: take it from a `next` or `previous` link.",
                "schema": {"type": "string"},
            },
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "description": f"Rows per page (default {self.page_size}).",
                "schema": {"type": "integer", "minimum": 1, "maximum": self.max_page_size},
            },
            {
                "name": self.count_query_param,
                "required": False,
                "in": "query",
                "description": "`true` adds the exact number of rows of the whole list (`count`).",
                "schema": {"type": "boolean"},
            },
        ]
