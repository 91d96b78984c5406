"""The OpenAPI schema: every operation documents the shared error body and its status codes."""

from __future__ import annotations

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import follow_model_field_lookup, get_view_model
from rest_framework import serializers
from rest_framework.schemas.utils import get_pk_description


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
    "409": "Conflicts with existing data or with the entry's state (validated, submitted, locked year).",
    "429": "Too many requests: slow down (see `Retry-After`).",
}


class ApiSchema(AutoSchema):
    """Every operation documents the shared error responses that can answer it."""

    def _resolve_path_parameters(self, variables):
        """Path parameters typed by their model field (an `id` is an integer), not by the URL pattern.

        The viewsets route any path segment to the view (`lookup_value_regex`), so a malformed id
        gets the API's JSON 404; the schema still says what a valid one is.
        """
        parameters = super()._resolve_path_parameters(variables)
        model = get_view_model(self.view, emit_warnings=False)
        lookup = getattr(self.view, "lookup_url_kwarg", None) or getattr(self.view, "lookup_field", None)
        for parameter in parameters:
            if model is None or parameter["name"] not in (lookup, "id"):
                continue
            field = follow_model_field_lookup(model, getattr(self.view, "lookup_field", "pk"))
            typed = self._map_model_field(field, direction=None)
            if typed.get("type") not in (None, "string"):
                typed.pop("readOnly", None)
                parameter["schema"] = typed
                if field.primary_key and not parameter.get("description"):
                    parameter["description"] = get_pk_description(model, field)
        return parameters

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        codes = ["400", "401", "403", "429"]
        listing = self._is_list_view() and self.method == "GET"
        if "{" in self.path or listing:
            codes.append("404")
        if self.method in ("POST", "PUT", "PATCH", "DELETE"):
            codes.append("409")
        for code in codes:
            if code not in responses:
                body = self._get_response_for_code(ErrorSerializer, code, direction=direction)
                body["description"] = ERROR_DESCRIPTIONS[code]
                if code == "404" and "{" not in self.path:
                    body["description"] = "No such page: `page` is beyond the last page."
                responses[code] = body
        return responses
