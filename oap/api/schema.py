"""The OpenAPI schema: every operation documents the shared error body and its status codes."""

from __future__ import annotations

from drf_spectacular.openapi import AutoSchema
from rest_framework import serializers


class ErrorSerializer(serializers.Serializer):
    """The body of every error response."""

    status = serializers.IntegerField(help_text="The HTTP status code.")
    code = serializers.CharField(help_text="A machine-readable reason, e.g. `invalid`, `not_found`.")
    detail = serializers.CharField(help_text="What went wrong, for people.")
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Per field (by its path in the request body, e.g. `results[3].value`): what rule it broke.",
    )


ERROR_DESCRIPTIONS = {
    "400": "Invalid input: `errors` names each field and the rule it broke.",
    "401": "Not authenticated: send `Authorization: Token <key>` or sign in.",
    "403": "Authenticated, but not allowed to do this.",
    "404": "Not found, or not visible to you.",
    "409": "Conflicts with existing data.",
    "429": "Too many requests: slow down (see `Retry-After`).",
}


class ApiSchema(AutoSchema):
    """Every operation documents the shared error responses that can answer it."""

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        codes = ["400", "401", "403", "429"]
        if "{" in self.path:
            codes.append("404")
        if self.method in ("POST", "PUT", "PATCH"):
            codes.append("409")
        for code in codes:
            if code not in responses:
                body = self._get_response_for_code(ErrorSerializer, code, direction=direction)
                body["description"] = ERROR_DESCRIPTIONS[code]
                responses[code] = body
        return responses
