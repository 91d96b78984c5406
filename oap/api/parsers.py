"""Request bodies are JSON only (the schema advertises no forms, so generated clients send JSON);
kept apart from the views: DRF's settings import it early."""

from __future__ import annotations

import io

from django.conf import settings
from rest_framework import exceptions, parsers


class PayloadTooLarge(exceptions.APIException):
    status_code = 413
    default_detail = "The request body is too large."
    default_code = "payload_too_large"


class JSONParser(parsers.JSONParser):
    """DRF's, but JSON nested deeper than Python's recursion limit is a 400 too, not a server error,
    and a body over `API_MAX_BODY_BYTES` is a 413 (read no further than the limit)."""

    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.API_MAX_BODY_BYTES
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:
            raise PayloadTooLarge(
                f"The request body is over {limit} bytes; send fewer results per request "
                "(bulk takes up to 5 000)."
            )
        try:
            return super().parse(io.BytesIO(raw), media_type, parser_context)
        except RecursionError as error:
            raise exceptions.ParseError("JSON parse error - nested too deeply.") from error


#: request bodies are JSON only: the schema advertises no forms, so generated clients send JSON
PARSER_CLASSES = [JSONParser]
