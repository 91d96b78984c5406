"""Pages of the site itself: the favicon at /favicon.ico and the branded 404 and 403 pages.

The 404 and 403 pages are inside the admin's header (user links when signed in) and keep what
the refusal said ("No factsheet of 2031 for you to read yet."). The 500 page is Django's
handler with `templates/500.html`: rendered without a request or the database, which may be
what failed.
"""

from __future__ import annotations

import contextlib
import functools

from django.contrib import admin
from django.contrib.staticfiles import finders
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError
from django.http import Http404, HttpResponse
from django.template import loader
from django.urls import Resolver404
from django.views.decorators.cache import cache_control

FAVICON = "favicon.ico"


@functools.cache
def _favicon() -> bytes | None:
    path = finders.find(FAVICON)
    if not path:
        return None
    with open(path, "rb") as icon:
        return icon.read()


@cache_control(public=True, max_age=7 * 24 * 3600)
def favicon(request):
    content = _favicon()
    if content is None:
        raise Http404("No favicon.")
    return HttpResponse(content, content_type="image/vnd.microsoft.icon")


def _explanation(exception, kind: type[Exception]) -> str:
    """What the view said when it refused (an unknown address says nothing useful)."""
    if not isinstance(exception, kind) or isinstance(exception, Resolver404) or not exception.args:
        return ""
    message = exception.args[0]
    return message if isinstance(message, str) else ""


def _error_page(request, template: str, status: int, explanation: str) -> HttpResponse:
    context = {"explanation": explanation}
    with contextlib.suppress(DatabaseError):  # the page still says what happened, without user links
        context.update(admin.site.each_context(request))
    return HttpResponse(loader.render_to_string(template, context, request), status=status)


def not_found(request, exception=None):
    return _error_page(request, "404.html", 404, _explanation(exception, Http404))


def forbidden(request, exception=None):
    return _error_page(request, "403.html", 403, _explanation(exception, PermissionDenied))
