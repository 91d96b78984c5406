"""The database, the cache or the broker away: a 503 in the interface's own format, not a 500.

``ServiceUnavailableMiddleware.process_exception`` turns a view's connection error into 503 with
``Retry-After`` (``OUTAGE_RETRY_AFTER`` seconds): the API's one error body (``oap/api/errors.py``)
under ``/api/``, the plain page ``templates/503.html`` everywhere else (the admin, the report
pages). ``server_error`` (``handler500`` in urls.py) does the same for an error raised outside a
view — a middleware reading the session, say — and leaves every other error to Django's 500.

Only errors that mean "not reachable now" count: a refused or broken connection, a server
starting up or shutting down, too many connections; never a bad query. Each is logged with the
part that failed; the answer names no part (an unauthenticated caller learns nothing).
Things that only make the service faster or fairer, such as the throttle
(``empact_tracker/throttling.py``), fail open instead and never get here.
"""

from __future__ import annotations

import logging
import sqlite3
import sys

import kombu.exceptions
import redis.exceptions
from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.template import loader
from django.views import defaults

logger = logging.getLogger(__name__)

#: the cache (django-redis' client, redis-py) does not answer: refused, reset, timed out, loading
CACHE_ERRORS = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)
#: PostgreSQL SQLSTATEs meaning "not reachable now": connection exceptions (class 08), too many
#: connections, admin / crash shutdown, cannot connect now (starting up or shutting down)
_UNREACHABLE_SQLSTATES = ("08", "53300", "57P01", "57P02", "57P03")
DETAIL = "The service is temporarily unavailable. Try again in {seconds} seconds."
API_PREFIX = "/api/"


def _database_unreachable(error: BaseException) -> bool:
    if isinstance(error, InterfaceError):
        return True  # the connection is already closed
    if not isinstance(error, OperationalError):
        return False
    cause = error.__cause__
    if isinstance(cause, sqlite3.OperationalError):
        return "locked" in str(cause)  # "database is locked"; never "no such table"
    sqlstate = getattr(cause, "sqlstate", None)
    # psycopg's connection failures (refused, closed, timed out) carry no SQLSTATE
    return sqlstate is None or sqlstate.startswith(_UNREACHABLE_SQLSTATES)


def unavailable_part(error: BaseException) -> str | None:
    """'database', 'cache' or 'broker' when `error` says that part is not reachable now; else None."""
    if _database_unreachable(error):
        return "database"
    if isinstance(error, CACHE_ERRORS):
        return "cache"
    if isinstance(error, kombu.exceptions.OperationalError):
        return "broker"
    return None


def retry_after() -> int:
    return int(getattr(settings, "OUTAGE_RETRY_AFTER", 30))


def service_unavailable(request) -> HttpResponse:
    """503 with Retry-After: the API's JSON error body under /api/, the plain HTML page elsewhere."""
    seconds = retry_after()
    detail = DETAIL.format(seconds=seconds)
    if request.path_info.startswith(API_PREFIX):
        response = JsonResponse(
            {"status": 503, "code": "service_unavailable", "detail": detail, "errors": {}}, status=503
        )
    else:
        try:
            # no request: no context processor runs, nothing touches the database or the session
            html = loader.get_template("503.html").render({"retry_after": seconds, "detail": detail})
        except Exception:  # the page must come out whatever else is broken
            logger.exception("503.html could not be rendered")
            html = f"<!doctype html><title>Service unavailable</title><p>{detail}</p>"
        response = HttpResponse(html, status=503, content_type="text/html; charset=utf-8")
    response["Retry-After"] = str(seconds)
    response["Cache-Control"] = "no-store"
    return response


def _log(part: str, request, error: BaseException) -> None:
    logger.error(
        "%s unavailable while serving %s %s: %s: %s",
        part,
        request.method,
        request.path_info,
        type(error).__name__,
        error,
        extra={"unavailable": part},
    )


class ServiceUnavailableMiddleware:
    """A view failed because the database, the cache or the broker is away: answer 503."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        part = unavailable_part(exception)
        if part is None:
            return None
        _log(part, request, exception)
        return service_unavailable(request)


def server_error(request, template_name="500.html"):
    """``handler500``: an outage raised outside a view is a 503 too; anything else is Django's 500."""
    error = sys.exc_info()[1]
    part = unavailable_part(error) if error is not None else None
    if part is None:
        return defaults.server_error(request, template_name=template_name)
    _log(part, request, error)
    return service_unavailable(request)
