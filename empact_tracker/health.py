"""``/healthz``: is this process able to serve? JSON with the state of the database and the broker.

200 ``{"status": "ok", ...}`` when both are usable, 503 ``{"status": "unavailable", ...}`` when
either is not. No authentication, no session, no template: a ``SELECT 1`` and a Redis ``PING``
with a short timeout (``HEALTHZ_TIMEOUT`` seconds). While tasks run eagerly (no ``REDIS_URL``,
the embedded default) there is no broker to reach and it counts as usable.

``HealthCheckMiddleware`` answers ``/healthz`` before host validation and the HTTPS redirect,
so a load balancer or the container's HEALTHCHECK can probe ``http://127.0.0.1:8000/healthz``
whatever ``ALLOWED_HOSTS`` and ``SECURE_SSL_REDIRECT`` say. The same view is routed in urls.py.
Errors are logged in full and reported in the body by their class name only (no host names,
user names or passwords leak to an unauthenticated caller).
"""

import logging
import time
from urllib.parse import unquote, urlsplit

import redis
from django.conf import settings
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


def healthz(request):
    """200 when the database and the broker are usable, 503 otherwise."""
    database = _timed(check_database)
    broker = _timed(check_broker)
    usable = database["ok"] and broker["ok"]
    response = JsonResponse(
        {"status": "ok" if usable else "unavailable", "database": database, "broker": broker},
        status=200 if usable else 503,
    )
    response["Cache-Control"] = "no-store"
    return response


class HealthCheckMiddleware:
    """Answer ``/healthz`` first: before host validation, HTTPS redirect, sessions and auth."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info.rstrip("/") == HEALTHZ_PATH and request.method in {"GET", "HEAD"}:
            return healthz(request)
        return self.get_response(request)
