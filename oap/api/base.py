"""Shared DRF bases: the restricted viewset and the stable ordering.

Every API queryset starts from `oap.access` (the rows the requesting user may see) and every
write calls a service; errors share one body (`errors.py`), lists one pagination
(`pagination.py`), and the schema documents both (`schema.py`).
"""

from __future__ import annotations

import binascii
from hmac import compare_digest

from django.db.models.expressions import RawSQL
from django.utils import timezone
from drf_spectacular.contrib.knox_auth_token import KnoxTokenScheme
from knox import auth as knox_auth
from knox.crypto import hash_token
from knox.models import get_token_model
from knox.settings import CONSTANTS, knox_settings
from rest_framework import exceptions, filters, parsers, viewsets
from rest_framework.authentication import SessionAuthentication

from oap import access, freshness


class TokenAuthentication(knox_auth.TokenAuthentication):
    """knox's hashed tokens (`Authorization: Token <key>`), checked in one query.

    knox reads the token with its user, then every other token of that user (to delete the
    expired ones), and the access rule then reads the user's organisation: three queries on every
    request. Here the token comes with its user and the user's organisation in one query; an
    expired token is refused, and deleted with the user's other expired tokens, when it is shown.
    The same query reads the data version (oap/freshness.py) for the list cache and the
    permission cache.
    """

    def authenticate_credentials(self, token):
        message = "Invalid token."
        token = token.decode("utf-8")
        try:
            digest = hash_token(token)
        except (TypeError, binascii.Error) as error:
            raise exceptions.AuthenticationFailed(message) from error
        candidates = get_token_model().objects.filter(token_key=token[: CONSTANTS.TOKEN_KEY_LENGTH])
        if freshness.enabled():  # the data version, read first and in the same query (freshness.py)
            candidates = candidates.annotate(data_version=RawSQL(f"({freshness.VERSION_SQL})", ()))
        for auth_token in candidates.select_related("user__organisation"):
            if not compare_digest(digest, auth_token.digest):
                continue
            if auth_token.expiry is not None and auth_token.expiry < timezone.now():
                self._cleanup_token(auth_token)  # knox's: deletes it (and expired siblings), signals
                break
            if knox_settings.AUTO_REFRESH and auth_token.expiry:
                self.renew_token(auth_token)
            auth_token.user.data_version = getattr(auth_token, "data_version", None)
            return self.validate_user(auth_token)
        raise exceptions.AuthenticationFailed(message)


class TokenScheme(KnoxTokenScheme):
    """The OpenAPI security scheme of `TokenAuthentication` (knox's, for the subclass)."""

    target_class = TokenAuthentication


#: token first, so an unauthenticated request is told 401 with `WWW-Authenticate: Token`
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
