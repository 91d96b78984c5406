"""Shared DRF bases: the restricted viewset and the stable ordering.

Every API queryset starts from `oap.access` (the rows the requesting user may see) and every
write calls a service; errors share one body (`errors.py`), lists one pagination
(`pagination.py`), and the schema documents both (`schema.py`).
"""

from __future__ import annotations

from django.utils.cache import patch_cache_control, patch_vary_headers
from knox.auth import TokenAuthentication
from rest_framework import exceptions, filters, parsers, viewsets
from rest_framework.authentication import SessionAuthentication

from oap import access

#: knox's hashed tokens first, so an unauthenticated request is told 401 with `WWW-Authenticate: Token`
AUTHENTICATION_CLASSES = [TokenAuthentication, SessionAuthentication]


class JSONParser(parsers.JSONParser):
    """DRF's, but JSON nested deeper than Python's recursion limit is a 400 too, not a server error."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError as error:
            raise exceptions.ParseError("JSON parse error - nested too deeply.") from error


PARSER_CLASSES = [JSONParser, parsers.FormParser, parsers.MultiPartParser]


class StableOrderingFilter(filters.OrderingFilter):
    """`ordering=` over the listed fields, always ending with the primary key so pages never overlap."""

    def get_ordering(self, request, queryset, view):
        ordering = list(super().get_ordering(request, queryset, view) or ["pk"])
        if not any(field.lstrip("-") in ("pk", "id") for field in ordering):
            ordering.append("pk")
        return ordering


class RestrictedViewSet(viewsets.GenericViewSet):
    """Querysets come from the access rule: rows the requesting user may see, nothing else."""

    model = None
    authentication_classes = AUTHENTICATION_CLASSES
    parser_classes = PARSER_CLASSES
    # any path segment reaches the view, so a malformed id is the API's JSON 404, not Django's HTML one
    lookup_value_regex = "[^/]+"

    def visible(self):
        """The rows the requesting user may see (the access rule), nothing prefetched."""
        return access.restrict(self.model._default_manager.all(), self.request.user, "view")

    def get_queryset(self):
        return self.optimise(self.visible())

    def optimise(self, queryset):
        """select/prefetch what the serializer reads, so a page costs a constant number of queries."""
        return queryset

    def finalize_response(self, request, response, *args, **kwargs):
        """Only the caller may keep a response, and must revalidate it (ETag, If-None-Match → 304).

        The ETag is made from the body by ConditionalGetMiddleware, so it changes only when what
        this caller sees changes.
        """
        response = super().finalize_response(request, response, *args, **kwargs)
        patch_cache_control(response, private=True, no_cache=True)
        patch_vary_headers(response, ["Authorization"])
        return response
