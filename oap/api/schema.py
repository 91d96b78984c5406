"""The OpenAPI schema, written for partners' developers and their generated clients.

Every operation has a description (never a docstring written for us), documents the shared
error body with each status it can answer (400 401 403 404 409 412 413 422 429), its headers
(`Idempotency-Key`, `If-Match`, `ETag`, `RateLimit-*`, `Retry-After`) and, for the result
workflow, OpenAPI links (record → submit → validate). Every field has a description; request
bodies refuse unknown fields (`additionalProperties: false`), as the server does.
"""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import follow_model_field_lookup, get_view_model
from rest_framework import serializers
from rest_framework.schemas.utils import get_pk_description

from .filters import CODE_SCHEMA, CodesFilter
from .schema_texts import DEFAULT_DESCRIPTIONS, FIELD_DOCS, LINKS


class TokenScheme(OpenApiAuthenticationExtension):
    target_class = "oap.api.auth.TokenAuthentication"
    name = ["tokenAuth", "bearerAuth"]

    def get_security_definition(self, auto_schema):
        return [
            {
                "type": "apiKey",
                "in": "header",
                "name": "Authorization",
                "description": "`Authorization: Token <key>` (ask your EMPACT contact point for a key).",
            },
            {
                "type": "http",
                "scheme": "bearer",
                "description": "`Authorization: Bearer <key>`, the same key.",
            },
        ]


class ErrorSerializer(serializers.Serializer):
    """The body of every error response."""

    status = serializers.IntegerField(help_text="The HTTP status code.")
    code = serializers.CharField(
        help_text="A machine-readable reason, e.g. `invalid`, `not_found`, `conflict`."
    )
    detail = serializers.CharField(help_text="What went wrong, for people.")
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Per field (by its path in the request body, e.g. `results[3].value`, or the header "
        "name): what rule it broke.",
    )


class ExistingSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="The existing row's id.")
    url = serializers.URLField(allow_null=True, help_text="The existing row in the API.")


class ConflictSerializer(ErrorSerializer):
    existing = ExistingSerializer(
        required=False, help_text="The row that already holds this place, when a duplicate is the reason."
    )


ERROR_DESCRIPTIONS = {
    "400": "Invalid input: `errors` names each field and the rule it broke; nothing was written.",
    "401": "Not authenticated: send `Authorization: Token <key>` (or `Bearer <key>`).",
    "403": "Authenticated, but your role or organisation may not do this (checked before the body is read).",
    "404": "Not found, or not visible to you.",
    "409": "Conflicts with the row's state (submitted, validated, a locked year) or with an existing row "
    "(a duplicate: `existing` gives its id and URL). Nothing was written.",
    "412": "`If-Match` does not match the row's current ETag: someone changed it since you read it.",
    "413": "The request body is too large.",
    "422": "This `Idempotency-Key` was already used with another body or operation.",
    "429": "Too many requests: wait `Retry-After` seconds.",
}
RATE_HEADERS = {
    "RateLimit-Limit": "Requests allowed in the current window.",
    "RateLimit-Remaining": "Requests left in the current window.",
    "RateLimit-Reset": "Seconds until the window resets.",
}


def _header(description: str) -> dict:
    return {"schema": {"type": "integer"}, "description": description}


class ApiSchema(AutoSchema):
    """Every operation documents the shared error responses that can answer it (see the module)."""

    def get_description(self):
        """Never a docstring (those speak to us): the operation's own text, or the default of its kind."""
        return DEFAULT_DESCRIPTIONS.get(getattr(self.view, "action", None) or self.method.lower(), "")

    def get_filter_backends(self):
        if getattr(self.view, "action", None) == "export":  # the list's filters apply to its export
            return getattr(self.view, "filter_backends", [])
        return super().get_filter_backends()

    def _get_serializer_field_meta(self, field, direction):
        meta = super()._get_serializer_field_meta(field, direction)
        name = getattr(field, "field_name", None)
        doc = FIELD_DOCS.get(name) if name else None
        if doc is not None:
            description, example = doc
            meta.setdefault("description", description)
            if example is not None and not isinstance(field, serializers.ListSerializer):
                meta.setdefault("example", example)
        elif name and "description" not in meta:
            meta["description"] = str(field.label or name.replace("_", " ")).capitalize() + "."
        return meta

    def _map_basic_serializer(self, serializer, direction):
        schema = super()._map_basic_serializer(serializer, direction)
        # a component's description is its `schema_description` for partners, never its docstring
        schema.pop("description", None)
        if getattr(serializer, "schema_description", None):
            schema["description"] = serializer.schema_description
        for prop in schema.get("properties", {}).values():
            if "oneOf" in prop or "enum" in prop or "allOf" in prop:  # an enum says it all (no 0..32767)
                prop.pop("minimum", None)
                prop.pop("maximum", None)
        if direction == "request":  # the server refuses fields it does not know (StrictSerializer)
            schema["additionalProperties"] = False
        return schema

    def _get_filter_parameters(self):
        """Each code of a multi-value filter is described as the server checks it (`CODE_SCHEMA`)."""
        parameters = super()._get_filter_parameters()
        filterset = getattr(self.view, "filterset_class", None)
        filters = filterset.base_filters if filterset is not None else {}
        for parameter in parameters:
            if isinstance(filters.get(parameter["name"]), CodesFilter):
                parameter["schema"]["items"] = {**parameter["schema"]["items"], **CODE_SCHEMA}
        return parameters

    def _resolve_path_parameters(self, variables):
        """Path parameters typed by their model field (an `id` is an integer), not by the URL pattern.

        The viewsets route any path segment to the view (`lookup_value_regex`), so a malformed id
        gets the API's JSON 404; the schema still says what a valid one is.
        """
        parameters = super()._resolve_path_parameters(variables)
        model = get_view_model(self.view, emit_warnings=False)
        lookup = getattr(self.view, "lookup_url_kwarg", None) or getattr(self.view, "lookup_field", None)
        for parameter in parameters:
            if model is None or parameter["name"] not in (lookup, "id", "code"):
                continue
            field = follow_model_field_lookup(model, getattr(self.view, "lookup_field", "pk"))
            typed = self._map_model_field(field, direction=None)
            if typed.get("type") not in (None, "string"):
                typed.pop("readOnly", None)
                parameter["schema"] = typed
                if field.primary_key and not parameter.get("description"):
                    parameter["description"] = get_pk_description(model, field)
            elif not parameter.get("description"):
                parameter["description"] = FIELD_DOCS.get(parameter["name"], ("The row's code.", None))[0]
        return parameters

    def _error_codes(self) -> list[str]:
        codes = ["400", "401", "403", "429"]
        listing = self._is_list_view() and self.method == "GET"
        if "{" in self.path or listing:
            codes.append("404")
        if self.method in ("POST", "PATCH", "DELETE"):
            codes.append("409")
        if self.method in ("PATCH", "DELETE"):
            codes.append("412")
        if self.method in ("POST", "PATCH"):
            codes += ["413"]
        if self.method == "POST":
            codes.append("422")
        return codes

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for code in self._error_codes():
            if code not in responses:
                serializer = ConflictSerializer if code == "409" else ErrorSerializer
                body = self._get_response_for_code(serializer, code, direction=direction)
                body["description"] = ERROR_DESCRIPTIONS[code]
                if code == "404" and "{" not in self.path:
                    body["description"] = "No such page: the `cursor` is beyond the last page."
                if code == "429":
                    body["headers"] = {"Retry-After": _header("Seconds to wait before trying again.")}
                responses[code] = body
        for code, body in responses.items():
            if code.startswith("2"):
                headers = body.setdefault("headers", {})
                headers.update({name: _header(text) for name, text in RATE_HEADERS.items()})
                action = getattr(self.view, "action", None)
                single = "{" in self.path or action == "create"
                if self.method in ("GET", "PATCH", "POST") and single and action not in ("export", "bulk"):
                    headers["ETag"] = {
                        "schema": {"type": "string"},
                        "description": "This version of the row: send it in `If-Match` to change it safely.",
                    }
                if self.method == "POST" and getattr(self.view, "action", None) not in ("publish",):
                    headers["Idempotent-Replayed"] = {
                        "schema": {"type": "string", "enum": ["true"]},
                        "description": "Present when this is the stored answer to an earlier request with "
                        "the same `Idempotency-Key`.",
                    }
        return responses

    def get_override_parameters(self):
        parameters = list(super().get_override_parameters())
        from drf_spectacular.utils import OpenApiParameter

        if self.method == "POST":
            parameters.append(
                OpenApiParameter(
                    "Idempotency-Key",
                    str,
                    OpenApiParameter.HEADER,
                    description="Any unique text (a UUID) of at most 255 characters. A retry with the same "
                    "key and body gets the first answer again and writes nothing; the same key with "
                    "another body is a 422. Kept for 24 hours.",
                )
            )
        if self.method in ("PATCH", "DELETE"):
            parameters.append(
                OpenApiParameter(
                    "If-Match",
                    str,
                    OpenApiParameter.HEADER,
                    description="The `ETag` you read the row with: if it changed since, the answer is 412 "
                    "and nothing is written.",
                )
            )
        return parameters


def add_links(result, generator, request, public):
    """OpenAPI links between operations (`LINKS`): the workflow record → submit → validate."""
    operations = {
        operation["operationId"]: operation
        for path in result.get("paths", {}).values()
        for operation in path.values()
        if isinstance(operation, dict) and "operationId" in operation
    }
    for (source, status), links in LINKS.items():
        response = operations.get(source, {}).get("responses", {}).get(status)
        if response is None:
            continue
        response["links"] = {
            name: {"operationId": target, "parameters": parameters, "description": description}
            for name, (target, parameters, description) in links.items()
            if target in operations
        }
    return result
