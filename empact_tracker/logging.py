"""Structured logs: one JSON object a line, each carrying the id of the request it belongs to.

- ``RequestIDMiddleware`` takes a well-formed ``X-Request-ID`` from the client (or the proxy in
  front) or makes one, keeps it for the duration of the request, and sends it back on the
  response, so a line in the proxy's log, gunicorn's access log and the application's log can
  be joined.
- ``RequestIDFilter`` puts that id on every log record (``-`` outside a request).
- ``JSONFormatter`` writes a record as JSON: time, level, logger, message, request id, the
  exception if any, and every ``extra=`` field.

This module imports nothing from Django at module level: gunicorn's configuration uses the
formatter before Django is set up.
"""

import contextvars
import json
import logging
import re
import uuid
from datetime import UTC, datetime

REQUEST_ID_HEADER = "X-Request-ID"
_request_id = contextvars.ContextVar("request_id", default=None)
# What a client may send as its own id: short, printable, no spaces (no log injection).
_VALID_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")

# The attributes every LogRecord has; anything else on a record came in through ``extra=``.
_RECORD_ATTRS = frozenset(
    vars(logging.LogRecord("", logging.INFO, "", 0, "", (), None)).keys()
    | {"message", "asctime", "request_id", "taskName"}
)


def get_request_id():
    """The id of the request being served in this thread or task, or None outside a request."""
    return _request_id.get()


class RequestIDMiddleware:
    """Give every request an id: the caller's ``X-Request-ID`` when well formed, else a new one."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        request_id = incoming if _VALID_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        token = _request_id.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            _request_id.reset(token)
        response[REQUEST_ID_HEADER] = request_id
        return response


class RequestIDFilter(logging.Filter):
    """Put the current request id on the record (``-`` outside a request)."""

    def filter(self, record):
        if not getattr(record, "request_id", None):
            record.request_id = _request_id.get() or "-"
        return True


def _access_fields(atoms):
    """gunicorn's access-log atoms as fields; the request id is the one the app answered with."""
    fields = {
        "request_id": atoms.get("{x-request-id}o") or "-",
        "remote": atoms.get("h"),
        "method": atoms.get("m"),
        "path": atoms.get("U"),
        "status": atoms.get("s"),
        "bytes": atoms.get("B"),
        "duration_ms": atoms.get("M"),
        "user_agent": atoms.get("a"),
    }
    return {key: value for key, value in fields.items() if value not in (None, "-", "")}


class JSONFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message, request_id, exception, extras."""

    def format(self, record):
        entry = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None) or _request_id.get() or "-",
        }
        if record.name == "gunicorn.access" and isinstance(record.args, dict):
            entry.update(_access_fields(record.args))
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        for key, value in vars(record).items():
            if key not in _RECORD_ATTRS and not key.startswith("_") and key not in entry:
                entry[key] = value
        return json.dumps(entry, default=str, ensure_ascii=False)
