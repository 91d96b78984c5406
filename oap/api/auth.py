"""How API callers authenticate: knox's hashed, expiring tokens (`Token <key>` or `Bearer <key>`), or
the session of a signed-in user. Kept apart from the views: DRF's settings import it early.
"""

from __future__ import annotations

from django.http import JsonResponse
from knox import auth as knox_auth
from rest_framework import exceptions
from rest_framework.authentication import SessionAuthentication, get_authorization_header

#: the schemes a token may be sent with: `Authorization: Token <key>` or `Authorization: Bearer <key>`
TOKEN_SCHEMES = (b"token", b"bearer")


class TokenAuthentication(knox_auth.TokenAuthentication):
    """knox's hashed, expiring tokens, sent as `Token <key>` or as `Bearer <key>` (what OAuth-minded
    clients send); a 401 names both schemes in `WWW-Authenticate`."""

    def authenticate(self, request):
        auth = get_authorization_header(request).split()
        if not auth or auth[0].lower() not in TOKEN_SCHEMES:
            return None  # for another backend, or none at all
        if len(auth) != 2:
            raise exceptions.AuthenticationFailed(
                "Invalid Authorization header: give `Token <key>` or `Bearer <key>`, one key, no spaces."
            )
        return self.authenticate_credentials(auth[1])

    def authenticate_header(self, request):
        return 'Token realm="api", Bearer realm="api"'


#: knox's hashed tokens first, so an unauthenticated request is told 401 with `WWW-Authenticate`
AUTHENTICATION_CLASSES = [TokenAuthentication, SessionAuthentication]


def token_user(request):
    """The user of a valid token in `request`'s Authorization header, or None (for plain Django views)."""
    try:
        found = TokenAuthentication().authenticate(request)
    except exceptions.AuthenticationFailed:
        return None
    return found[0] if found else None


def wants_json(request) -> bool:
    """An API caller: it sent credentials of a token scheme, or accepts JSON rather than HTML."""
    header = request.META.get("HTTP_AUTHORIZATION", "").split(" ", 1)[0].lower().encode()
    accept = request.META.get("HTTP_ACCEPT", "")
    return header in TOKEN_SCHEMES or ("json" in accept and "text/html" not in accept)


def not_authenticated(request) -> JsonResponse:
    """The API's 401 (its one error body) for a plain Django view that an API client called."""
    response = JsonResponse(
        {
            "status": 401,
            "code": "not_authenticated",
            "detail": "Authentication credentials were not provided or are invalid: send "
            "`Authorization: Token <key>` (or `Bearer <key>`).",
            "errors": {},
        },
        status=401,
    )
    response["WWW-Authenticate"] = TokenAuthentication().authenticate_header(request)
    return response
