"""Pagination for every list: stable order, a bounded page size chosen with `page_size`."""

from __future__ import annotations

from rest_framework import exceptions, pagination

MAX_PAGE_SIZE = 500


class PageNotFound(exceptions.NotFound):
    """A page beyond the last one: a 404 whose `errors` names `page`."""

    def __init__(self, detail: str):
        super().__init__(detail)
        self.errors = {"page": [detail]}


class StablePagination(pagination.PageNumberPagination):
    """Pages of `page_size` rows (default 50, at most 500) in a stable order."""

    page_size = 50
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
        try:
            return super().paginate_queryset(queryset, request, view)
        except exceptions.NotFound as error:
            raise PageNotFound(
                f"There is no page {raw}: the last page is {self._last_page(queryset, request)}."
            ) from error

    def _last_page(self, queryset, request) -> int:
        return self.django_paginator_class(queryset, self.get_page_size(request)).num_pages
