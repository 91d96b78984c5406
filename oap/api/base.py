"""Shared DRF bases: what every API view does, the restricted viewset and the stable ordering.

Every API queryset starts from `oap.access` (the rows the requesting user may see) and every
write calls a service; errors share one body (`errors.py`), lists one pagination
(`pagination.py`), and the schema documents both (`schema.py`). `ApiViewMixin` gives every view
the same manners: times in UTC, the caller's role checked before a body is read (403), ETags on
single rows, `If-Match` (412), `Idempotency-Key` on POST (`idempotency.py`), rate-limit headers.
"""

from __future__ import annotations

import datetime
import hashlib
import json

from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone
from django.utils.cache import patch_cache_control, patch_vary_headers
from rest_framework import exceptions, filters, viewsets

from oap import access

from . import idempotency
from .auth import AUTHENTICATION_CLASSES, TokenAuthentication  # noqa: F401  (re-exported)
from .parsers import PARSER_CLASSES, JSONParser  # noqa: F401  (re-exported)


class PreconditionFailed(exceptions.APIException):
    status_code = 412
    default_detail = "The row changed since you read it."
    default_code = "precondition_failed"


def etag_of(data) -> str:
    """The strong ETag of a row's representation: the same body gives the same tag, on every server."""
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), cls=DjangoJSONEncoder)
    return '"' + hashlib.sha256(text.encode()).hexdigest()[:32] + '"'


def check_if_match(request, data) -> None:
    """412 unless the request's `If-Match` (when sent) names the current representation's ETag."""
    header = request.headers.get("If-Match")
    if header is None or header.strip() == "*":
        return
    current = etag_of(data)
    sent = [tag.strip().removeprefix("W/") for tag in header.split(",")]
    if current not in sent:
        error = PreconditionFailed(
            f"The row changed since you read it (its ETag is now {current}): GET it again, check "
            "your change still applies, and send it with the new ETag in If-Match."
        )
        error.errors = {"If-Match": [f"Does not match the current ETag {current}."]}
        raise error


class ApiViewMixin:
    """What every API view does (see the module)."""

    authentication_classes = AUTHENTICATION_CLASSES
    parser_classes = PARSER_CLASSES

    def dispatch(self, request, *args, **kwargs):
        with timezone.override(datetime.UTC):  # times come out in UTC, ending in Z
            return super().dispatch(request, *args, **kwargs)

    def role_refusal(self, request) -> str | None:
        """Why the caller's role can never make this request (403 before the body is read), or None."""
        return None

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            refusal = self.role_refusal(request)
            if refusal:
                raise exceptions.PermissionDenied(refusal)
        if request.method == "POST" and idempotency.HEADER in request.headers:
            self.post = idempotency.idempotent(self.post)

    def finalize_response(self, request, response, *args, **kwargs):
        """Only the caller may keep a response, and must revalidate it (ETag, If-None-Match → 304).

        A single row's ETag is made from its representation (`etag_of`), so that `If-Match` can be
        checked against it; other ETags come from the body (ConditionalGetMiddleware).
        """
        response = super().finalize_response(request, response, *args, **kwargs)
        patch_cache_control(response, private=True, no_cache=True)
        patch_vary_headers(response, ["Authorization"])
        single = getattr(self, "detail", False) or getattr(self, "action", None) == "create"
        data = getattr(response, "data", None)
        if single and response.status_code in (200, 201) and isinstance(data, dict) and "id" in data:
            response["ETag"] = etag_of(data)
        limit = getattr(request._request, "ratelimit", None)
        if limit is not None:
            response["RateLimit-Limit"], response["RateLimit-Remaining"], response["RateLimit-Reset"] = (
                str(value) for value in limit
            )
        return response


class StableOrderingFilter(filters.OrderingFilter):
    """`ordering=` over the listed fields, always ending with the primary key so pages never overlap."""

    def get_ordering(self, request, queryset, view):
        ordering = list(super().get_ordering(request, queryset, view) or ["pk"])
        if not any(field.lstrip("-") in ("pk", "id") for field in ordering):
            ordering.append("pk")
        return ordering


class RestrictedViewSet(ApiViewMixin, viewsets.GenericViewSet):
    """Querysets come from the access rule: rows the requesting user may see, nothing else."""

    model = None
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
