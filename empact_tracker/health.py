"""``/healthz``: can this process serve? Up or down for everyone, the details for operators.

Anonymous callers get ``200 {"status": "ok"}`` or ``503 {"status": "unavailable"}`` and nothing
else: no database vendor, no latencies, no error names. The instance is up when its database
answers a ``SELECT 1``: that is all a request needs. The broker and the cache are not needed to
serve (background work waits in the outbox, the throttle fails open), so their outage is
*degraded*, still 200 — a load balancer must not take every web instance out because Redis is
away.

Operators see the details — ``status`` ok / degraded / unavailable, the database (vendor,
latency), the broker (a Redis ``PING`` with ``HEALTHZ_TIMEOUT``, via Sentinel when configured;
``"kind": "eager"`` without one), the cache, and the outbox's backlog — when they are signed in
as a superuser or a member of the hub (``oap.access.sees_everything``), or call from one of
``HEALTHZ_DETAIL_NETWORKS`` (CIDRs; loopback by default, which is where the container's own
HEALTHCHECK calls from). The address is the connection's (``REMOTE_ADDR``), never a forwarded
header: behind a proxy every caller has the proxy's address, so never list the proxy's network.

``HealthCheckMiddleware`` answers ``/healthz`` before host validation and the HTTPS redirect,
so a load balancer or the container's HEALTHCHECK can probe ``http://127.0.0.1:8000/healthz``
whatever ``ALLOWED_HOSTS`` and ``SECURE_SSL_REDIRECT`` say. The same view is routed in urls.py.
Errors are logged in full and reported in the details by their class name only.
"""

import ipaddress
import logging
import time
from importlib import import_module
from urllib.parse import unquote, urlsplit

import redis
from django.conf import settings
from django.contrib import auth
from django.core.cache import caches
from django.db import connection
from django.http import JsonResponse
from redis.backoff import NoBackoff
from redis.retry import Retry
from redis.sentinel import Sentinel

logger = logging.getLogger(__name__)

HEALTHZ_PATH = "/healthz"


def _no_retry():
    """One attempt: redis-py retries with backoff by default, seconds a probe cannot spend."""
    return Retry(NoBackoff(), 0)


def _timed(check):
    """Run ``check()``; return its report with ``ok`` and ``latency_ms``, errors as class names."""
    started = time.monotonic()
    try:
        report = {"ok": True, **(check() or {})}
    except Exception as error:
        logger.warning("health check failed: %s", check.__name__, exc_info=True)
        report = {"ok": False, "error": type(error).__name__}
    report["latency_ms"] = round((time.monotonic() - started) * 1000, 1)
    return report


def check_database():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"vendor": connection.vendor}


def _broker_urls():
    """The broker URL(s): Celery accepts a ``;``-separated failover list."""
    url = settings.CELERY_BROKER_URL or ""
    return [part.strip() for part in url.split(";") if part.strip()]


def _ping_redis(urls, timeout):
    last_error = None
    for url in urls:
        client = redis.Redis.from_url(
            url, socket_connect_timeout=timeout, socket_timeout=timeout, retry=_no_retry()
        )
        try:
            client.ping()
            return
        except redis.RedisError as error:
            last_error = error
        finally:
            client.close()
    raise last_error


def _sentinel_kwargs():
    options = getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", None) or {}
    return dict(options.get("sentinel_kwargs") or {})


def _ping_sentinel(urls, timeout):
    """Ask the Sentinels for the master named by REDIS_SENTINEL_MASTER and PING it."""
    parts = [urlsplit(url) for url in urls]
    first = parts[0]
    master_name = getattr(settings, "REDIS_SENTINEL_MASTER", "") or "mymaster"
    db = int(first.path.strip("/") or 0)
    password = unquote(first.password) if first.password else None
    sentinel = Sentinel(
        [(part.hostname, part.port or 26379) for part in parts],
        sentinel_kwargs={
            "socket_timeout": timeout,
            "socket_connect_timeout": timeout,
            "retry": _no_retry(),
            **_sentinel_kwargs(),
        },
    )
    master = sentinel.master_for(
        master_name,
        socket_timeout=timeout,
        socket_connect_timeout=timeout,
        password=password,
        db=db,
        retry=_no_retry(),
    )
    try:
        master.ping()
    finally:
        master.close()


def _ping_kombu(url, timeout):
    from kombu import Connection

    with Connection(url, connect_timeout=timeout) as conn:
        conn.ensure_connection(max_retries=1, timeout=timeout)


def check_broker():
    if getattr(settings, "CELERY_TASK_ALWAYS_EAGER", False):
        return {"kind": "eager"}
    urls = _broker_urls()
    if not urls:
        raise ValueError("no broker configured")
    timeout = float(getattr(settings, "HEALTHZ_TIMEOUT", 1.0))
    scheme = urlsplit(urls[0]).scheme
    if scheme in {"redis", "rediss", "unix"}:
        _ping_redis(urls, timeout)
        return {"kind": "redis"}
    if scheme == "sentinel":
        _ping_sentinel(urls, timeout)
        return {"kind": "sentinel"}
    _ping_kombu(urls[0], timeout)
    return {"kind": scheme}


def check_cache():
    cache = caches["default"]
    if "Redis" not in type(cache).__name__:
        return {"kind": "memory"}  # one process's memory: always there
    cache.get("empact:healthz")
    return {"kind": "redis"}


def check_outbox():
    from outbox.services import backlog

    return backlog()


def _from_detail_network(request) -> bool:
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    for network in getattr(settings, "HEALTHZ_DETAIL_NETWORKS", ()):
        try:
            if address in ipaddress.ip_network(network, strict=False):
                return True
        except ValueError:
            logger.warning("HEALTHZ_DETAIL_NETWORKS: %r is not a network", network)
    return False


def _signed_in_operator(request) -> bool:
    """A superuser or a member of the hub, signed in (the session is read here when no middleware did)."""
    from oap import access

    try:
        user = getattr(request, "user", None)
        if user is None:
            key = request.COOKIES.get(settings.SESSION_COOKIE_NAME)
            if not key:
                return False
            request.session = import_module(settings.SESSION_ENGINE).SessionStore(key)
            user = auth.get_user(request)
        return access.sees_everything(user)
    except Exception:  # the database may be the part that is down: then nobody is signed in
        logger.warning("healthz: could not read the caller's session", exc_info=True)
        return False


def shows_details(request) -> bool:
    return _from_detail_network(request) or _signed_in_operator(request)


def _response(body: dict, status: int) -> JsonResponse:
    response = JsonResponse(body, status=status)
    response["Cache-Control"] = "no-store"
    return response


def healthz(request):
    """200 when the database answers (the broker and the cache only degrade), 503 otherwise."""
    database = _timed(check_database)
    if not shows_details(request):
        up = database["ok"]
        return _response({"status": "ok" if up else "unavailable"}, 200 if up else 503)
    body = {"database": database, "broker": _timed(check_broker), "cache": _timed(check_cache)}
    if database["ok"]:
        body["outbox"] = _timed(check_outbox)
    if not database["ok"]:
        status = "unavailable"
    elif all(part["ok"] for part in body.values()):
        status = "ok"
    else:
        status = "degraded"
    return _response({"status": status, **body}, 503 if status == "unavailable" else 200)


class HealthCheckMiddleware:
    """Answer ``/healthz`` first: before host validation, HTTPS redirect, sessions and auth."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info.rstrip("/") == HEALTHZ_PATH and request.method in {"GET", "HEAD"}:
            return healthz(request)
        return self.get_response(request)
