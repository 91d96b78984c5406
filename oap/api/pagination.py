"""Pagination for every list: stable order, a bounded page size chosen with `page_size`."""

from __future__ import annotations

import functools
import hashlib

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import EmptyResultSet
from django.core.paginator import Paginator
from django.utils.functional import cached_property
from rest_framework import exceptions, pagination

MAX_PAGE_SIZE = 500
#: without a data version, lists longer than this have their count cached for COUNT_CACHE_SECONDS
#: (shorter lists: exact, live)
EXACT_COUNT_LIMIT = 1_000
COUNT_CACHE_SECONDS = 60


class CachedCountPaginator(Paginator):
    """Counting a million visible rows costs more than the page itself: such counts are cached.

    With a data version (oap/freshness.py, PostgreSQL) every count is cached under it, exact:
    any write changes the version. Without one, a cached count for the same SQL (the same
    filters and access scope) is used when there is one; otherwise a bounded count tells short
    lists (exact and live) from long ones, whose count is then cached for COUNT_CACHE_SECONDS.
    """

    def __init__(self, *args, data_version: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.data_version = data_version

    @cached_property
    def count(self):
        queryset = self.object_list
        if not hasattr(queryset, "query"):
            return super().count
        try:
            sql, params = queryset.order_by().query.sql_with_params()
        except EmptyResultSet:  # `.none()`
            return super().count
        identity = repr((self.data_version, queryset.db, sql, params))
        key = "api-count:" + hashlib.sha256(identity.encode()).hexdigest()
        cached = cache.get(key)
        if cached is not None:
            return cached
        if self.data_version is None:
            bounded = queryset.order_by()[: EXACT_COUNT_LIMIT + 1].count()
            if bounded <= EXACT_COUNT_LIMIT:
                return bounded
        total = queryset.count()
        timeout = COUNT_CACHE_SECONDS if self.data_version is None else settings.API_LIST_CACHE_SECONDS
        cache.set(key, total, timeout)
        return total


class PageNotFound(exceptions.NotFound):
    """A page beyond the last one: a 404 whose `errors` names `page`."""

    def __init__(self, detail: str):
        super().__init__(detail)
        self.errors = {"page": [detail]}


class StablePagination(pagination.PageNumberPagination):
    """Pages of `page_size` rows (default 50, at most 500) in a stable order."""

    page_size = 50
    django_paginator_class = CachedCountPaginator
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is not None:
            try:
                size = int(raw)
            except ValueError:
                size = 0
            if not 1 <= size <= self.max_page_size:
                raise exceptions.ValidationError(
                    {"page_size": [f"Give a whole number from 1 to {self.max_page_size}."]}
                )
            return size
        return self.page_size

    def paginate_queryset(self, queryset, request, view=None):
        raw = request.query_params.get(self.page_query_param)
        if raw is not None and raw not in self.last_page_strings:
            try:
                number = int(raw)
            except ValueError:
                number = 0
            if number < 1:
                raise exceptions.ValidationError({"page": ["Give a whole number, 1 or more (or `last`)."]})
        self.django_paginator_class = functools.partial(
            CachedCountPaginator, data_version=getattr(view, "data_version", None)
        )
        try:
            return super().paginate_queryset(queryset, request, view)
        except exceptions.NotFound as error:
            raise PageNotFound(
                f"There is no page {raw}: the last page is {self._last_page(queryset, request)}."
            ) from error

    def _last_page(self, queryset, request) -> int:
        return self.django_paginator_class(queryset, self.get_page_size(request)).num_pages
