"""One error body for the whole API.

Every error — 400, 401, 403, 404, 409, 412, 413, 422, 429 — has the same body:

    {"status": 400, "code": "invalid", "detail": "…", "errors": {"results[3].value": ["…"]}}

`errors` names each field by its path in the request body, so a bad item in a bulk request
is found by its index. A 409 caused by a row that already holds the place (a duplicate) adds
`existing`: that row's `id` and `url`. A 404 never names an internal model.
"""

from __future__ import annotations

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.reverse import reverse
from rest_framework.views import exception_handler as drf_exception_handler

from oap import services


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The request conflicts with the current state of the resource."
    default_code = "conflict"


def _flatten(errors, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested error structures as {"path.to[3].field": [messages]}."""
    flat: dict[str, list[str]] = {}
    if isinstance(errors, dict):
        for key, value in errors.items():
            name = "non_field_errors" if key in ("__all__", "non_field_errors") and not prefix else key
            path = f"{prefix}.{name}" if prefix else str(name)
            if isinstance(key, int):  # a list given as {index: errors}, e.g. a bulk request's rows
                path = f"{prefix}[{key}]"
            if key in ("__all__", "non_field_errors") and prefix:
                path = prefix
            flat.update(_flatten(value, path))
    elif isinstance(errors, list):
        if all(not isinstance(item, (dict, list)) for item in errors):
            flat.setdefault(prefix or "non_field_errors", []).extend(str(item) for item in errors)
        else:
            for index, item in enumerate(errors):
                if item:
                    flat.update(_flatten(item, f"{prefix}[{index}]"))
    else:
        flat.setdefault(prefix or "non_field_errors", []).append(str(errors))
    return flat


def _from_django_validation_error(error: DjangoValidationError) -> exceptions.ValidationError:
    if hasattr(error, "error_dict"):
        return exceptions.ValidationError(
            {("non_field_errors" if k == "__all__" else k): v for k, v in error.message_dict.items()}
        )
    return exceptions.ValidationError({"non_field_errors": error.messages})


#: the API's detail route of each model a conflict may name as `existing`
DETAIL_ROUTES = {"oap.ResultEntry": "api:result-detail", "reporting.Factsheet": "factsheet-detail"}
NOT_FOUND = "Not found, or not visible to you."


def _existing(row, context) -> dict | None:
    if row is None or row.pk is None:
        return None
    route = DETAIL_ROUTES.get(row._meta.label)
    url = reverse(route, args=[row.pk], request=context.get("request")) if route else None
    return {"id": row.pk, "url": url}


def exception_handler(exc, context):
    """One error body for every refusal; Django's own exceptions mapped to their status."""
    errors, existing = None, None
    if isinstance(exc, services.Conflict):
        errors = _flatten(_from_django_validation_error(exc).detail)
        existing = _existing(exc.existing, context)
        exc = Conflict(" ".join(message for messages in errors.values() for message in messages))
    elif isinstance(exc, DjangoValidationError):
        exc = _from_django_validation_error(exc)
    elif isinstance(exc, services.Refused) and exc.field:
        errors = {exc.field: [str(exc)]}
        exc = exceptions.PermissionDenied(str(exc))
    elif isinstance(exc, services.Hidden):  # the services' words name the row for people
        exc = exceptions.NotFound(str(exc) or NOT_FOUND)
    elif isinstance(exc, (Http404, ObjectDoesNotExist)):  # Django's name the model class: not said
        exc = exceptions.NotFound(NOT_FOUND)
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    elif isinstance(exc, IntegrityError):
        exc = Conflict("The request conflicts with existing data (a duplicate or a protected row).")
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    detail = response.data
    if isinstance(exc, exceptions.ValidationError):
        errors = _flatten(detail)
        count = len(errors)
        message = f"The request is invalid: {count} field{'s' if count != 1 else ''} named below."
        code = "invalid"
    elif isinstance(exc, exceptions.ParseError):
        errors = {"body": [str(detail.get("detail", detail)) if isinstance(detail, dict) else str(detail)]}
        message = "The request body could not be read; send well-formed JSON."
        code = "parse_error"
    else:
        errors = errors or getattr(exc, "errors", None) or {}  # e.g. a page beyond the last names `page`
        message = str(detail.get("detail", detail)) if isinstance(detail, dict) else str(detail)
        codes = exc.get_codes() if isinstance(exc, exceptions.APIException) else None
        code = codes.get("detail", "error") if isinstance(codes, dict) else (codes or "error")
    response.data = {"status": response.status_code, "code": str(code), "detail": message, "errors": errors}
    if existing is not None:
        response.data["existing"] = existing
    return response
