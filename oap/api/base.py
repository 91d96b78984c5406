"""Shared DRF bases: the restricted viewset and the stable ordering.

Every API queryset starts from `oap.access` (the rows the requesting user may see) and every
write calls a service; errors share one body (`errors.py`), lists one pagination
(`pagination.py`), and the schema documents both (`schema.py`).
"""

from __future__ import annotations

from rest_framework import filters, viewsets

from oap import access


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

    def get_queryset(self):
        return self.optimise(access.restrict(self.model._default_manager.all(), self.request.user, "view"))

    def optimise(self, queryset):
        """select/prefetch what the serializer reads, so a page costs a constant number of queries."""
        return queryset
