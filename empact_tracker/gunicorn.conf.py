"""gunicorn configuration: `gunicorn -c empact_tracker/gunicorn.conf.py empact_tracker.wsgi`.

Every value comes from the environment (command-line options still win, e.g. ``--bind``):

- ``WEB_CONCURRENCY``: worker processes (default 2 x CPUs + 1, at most 8)
- ``GUNICORN_THREADS``: threads per worker (default 1: sync workers)
- ``GUNICORN_BIND``: address (default 0.0.0.0:8000)
- ``GUNICORN_TIMEOUT``: seconds before a silent worker is restarted (default 60)
- ``GUNICORN_MAX_REQUESTS``: recycle a worker after this many requests (default 1000, jittered)
- ``FORWARDED_ALLOW_IPS``: proxies trusted for X-Forwarded-* (default 127.0.0.1; ``*`` in a
  container network where only the proxy reaches gunicorn)
- ``LOG_FORMAT`` / ``LOG_LEVEL``: as for Django; ``json`` writes gunicorn's own and access
  logs as JSON lines too, the access line carrying the X-Request-ID the app answered with.
"""

import multiprocessing
import os
from pathlib import Path


def _int(name, default):
    return int(os.environ.get(name) or default)


bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = _int("WEB_CONCURRENCY", min(multiprocessing.cpu_count() * 2 + 1, 8))
threads = _int("GUNICORN_THREADS", 1)
timeout = _int("GUNICORN_TIMEOUT", 60)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = _int("GUNICORN_KEEPALIVE", 5)
max_requests = _int("GUNICORN_MAX_REQUESTS", 1000)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 100)
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# heartbeat files in memory, not on the container's overlay filesystem
if Path("/dev/shm").is_dir():
    worker_tmp_dir = "/dev/shm"

accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
access_log_format = '%(h)s "%(r)s" %(s)s %(B)s %(M)sms "%(a)s" request_id=%({x-request-id}o)s'

_debug = os.environ.get("DEBUG", "1").strip().lower() not in {"0", "false", "no", "off", ""}
if os.environ.get("LOG_FORMAT", "text" if _debug else "json") == "json":
    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "empact_tracker.logging.JSONFormatter"}},
        "handlers": {
            "console": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stdout"},
            "error_console": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "stream": "ext://sys.stderr",
            },
        },
        "loggers": {
            "gunicorn.error": {"handlers": ["error_console"], "level": loglevel.upper(), "propagate": False},
            "gunicorn.access": {"handlers": ["console"], "level": "INFO", "propagate": False},
        },
        "root": {"handlers": ["error_console"], "level": "INFO"},
    }
