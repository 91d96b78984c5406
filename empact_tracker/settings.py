"""EMPACT Tracker settings: one module, every deployment difference an environment variable.

Embedded default (no variables set): SQLite file in the project, Celery tasks run eagerly.
Production / scale-out: DATABASE_URL (PostgreSQL), REDIS_URL (broker and cache), SECRET_KEY,
DEBUG=0, ALLOWED_HOSTS.
"""

import datetime
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=True)
SECRET_KEY = env(
    "SECRET_KEY",
    default="django-insecure-empact-tracker-development-only-change-me" if DEBUG else environ.Env.NOTSET,
)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
# Rotating SECRET_KEY: put the old key here for as long as its sessions and signatures should live.
SECRET_KEY_FALLBACKS = env.list("SECRET_KEY_FALLBACKS", default=[])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])  # e.g. https://empact.example.eu

INSTALLED_APPS = [
    "empact_tracker.apps.EmpactAdminConfig",  # django.contrib.admin with the dashboard site
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "simple_history",
    "axes",
    "rest_framework",
    "knox",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "outbox",
    "oap",
    "reporting",
    "notifications",
]

MIDDLEWARE = [
    "empact_tracker.logging.RequestIDMiddleware",  # X-Request-ID in, out and on every log record
    "empact_tracker.health.HealthCheckMiddleware",  # /healthz before host checks and HTTPS redirect
    "empact_tracker.outages.ServiceUnavailableMiddleware",  # database or cache away: 503, not 500
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",  # static files, right after SecurityMiddleware
    "empact_tracker.security.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    # an ETag from each GET response's body; If-None-Match with it gets a 304 (reveals only what
    # the caller itself sees)
    "django.middleware.http.ConditionalGetMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # last, as django-axes asks: it turns a locked-out login into a clear refusal
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "empact_tracker.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

WSGI_APPLICATION = "empact_tracker.wsgi.application"

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0)
# with persistent connections, test a reused connection before a request uses it
DATABASES["default"]["CONN_HEALTH_CHECKS"] = env.bool("CONN_HEALTH_CHECKS", default=True)
DATABASES["default"].setdefault("TEST", {})
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "oap.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # refuses logins while a lockout lasts
    "oap.backends.AccessBackend",  # the access rule: role permissions and organisation scope
]

# Login brute-force protection (django-axes): lock a username from one address after repeated
# failures, for a cool-off period; the hub or a superuser can lift it in the admin.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.5)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
TIME_ZONE = "Europe/Brussels"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env("STATIC_ROOT", default=str(BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]  # the site's own files (favicon); apps keep theirs
MEDIA_URL = "media/"
MEDIA_ROOT = env("MEDIA_ROOT", default=str(BASE_DIR / "media"))
# Static files are served by whitenoise; with DEBUG off, hashed names and compressed copies
# made by collectstatic (cached for a year by browsers and proxies).
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
# While DEBUG is on (and in tests), whitenoise serves straight from the apps' static folders.
WHITENOISE_USE_FINDERS = WHITENOISE_AUTOREFRESH = DEBUG

LOGIN_URL = "admin:login"

FIXTURE_DIRS = [BASE_DIR / "fixtures"]

# --- Production hardening -----------------------------------------------------------------
# Strict by default once DEBUG=0 (`manage.py check --deploy --fail-level WARNING` passes); each
# value can be changed through the environment variable of the same name (docs/deploy.md).
# Behind a TLS-terminating proxy set SECURE_PROXY_SSL_HEADER=1: the proxy's X-Forwarded-Proto
# then tells Django the request came over HTTPS (the proxy must overwrite that header).
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env.bool("SECURE_PROXY_SSL_HEADER", default=False) else None
)
USE_X_FORWARDED_HOST = env.bool("USE_X_FORWARDED_HOST", default=False)
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz/?$"]
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = env("SECURE_REFERRER_POLICY", default="same-origin")
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Same-origin scripts only (the admin and the Swagger UI from drf-spectacular-sidecar are served
# from our static files); inline styles for the admin widgets, the browsable API and Swagger UI;
# data: images for charts embedded as data URIs. Empty → no header.
CONTENT_SECURITY_POLICY = env(
    "CONTENT_SECURITY_POLICY",
    default="default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; object-src 'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
)
CONTENT_SECURITY_POLICY_REPORT_ONLY = env.bool("CONTENT_SECURITY_POLICY_REPORT_ONLY", default=False)

# Shared cache (API throttling counts across every web process): e.g. redis://redis:6379/1.
# Unset → a per-process memory cache, enough for one process. A cache that does not answer within
# CACHE_TIMEOUT seconds counts as away: the throttle lets requests through (empact_tracker/
# throttling.py), anything that needs the cache answers 503 (empact_tracker/outages.py).
CACHE_URL = env("CACHE_URL", default="")
CACHE_TIMEOUT = env.float("CACHE_TIMEOUT", default=0.5)
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": CACHE_URL,
        "OPTIONS": {"socket_connect_timeout": CACHE_TIMEOUT, "socket_timeout": CACHE_TIMEOUT},
    }
    if CACHE_URL
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
}
# Seconds a 503 (database or cache away) asks the client to wait: its Retry-After header.
OUTAGE_RETRY_AFTER = env.int("OUTAGE_RETRY_AFTER", default=30)

# /healthz: seconds to wait for the broker's PING (empact_tracker/health.py); the networks whose
# callers see the details (database, broker, cache, outbox; latencies) without signing in —
# loopback by default (the container's own HEALTHCHECK). Everyone else sees only up or down,
# unless signed in as a superuser or a member of the hub.
HEALTHZ_TIMEOUT = env.float("HEALTHZ_TIMEOUT", default=1.0)
HEALTHZ_DETAIL_NETWORKS = env.list("HEALTHZ_DETAIL_NETWORKS", default=["127.0.0.0/8", "::1/128"])

# --- Logging ------------------------------------------------------------------------------
# JSON lines with the request id (empact_tracker/logging.py) in production; readable text while
# DEBUG is on. LOG_FORMAT=json|text, LOG_LEVEL=INFO|DEBUG|WARNING|...
LOG_LEVEL = env("LOG_LEVEL", default="INFO")
LOG_FORMAT = env("LOG_FORMAT", default="text" if DEBUG else "json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "empact_tracker.logging.RequestIDFilter"}},
    "formatters": {
        "json": {"()": "empact_tracker.logging.JSONFormatter"},
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["request_id"],
        },
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    # Django's own loggers lose their default handlers and write through the root one
    "loggers": {"django": {"handlers": [], "level": LOG_LEVEL, "propagate": True}},
}

# --- Celery -------------------------------------------------------------------------------
# Without REDIS_URL the embedded default runs every task eagerly, in process.
REDIS_URL = env("REDIS_URL", default="")
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL or "memory://")
# Redis Sentinel: REDIS_URL (or CELERY_BROKER_URL / CELERY_RESULT_BACKEND) as
# "sentinel://:password@s1:26379/0;sentinel://:password@s2:26379/0" and the master's name here.
REDIS_SENTINEL_MASTER = env("REDIS_SENTINEL_MASTER", default="")
if REDIS_SENTINEL_MASTER:
    _sentinel = {"master_name": REDIS_SENTINEL_MASTER}
    if _sentinel_password := env("REDIS_SENTINEL_PASSWORD", default=""):
        _sentinel["sentinel_kwargs"] = {"password": _sentinel_password}
    CELERY_BROKER_TRANSPORT_OPTIONS = dict(_sentinel)
    CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = dict(_sentinel)
CELERY_WORKER_HIJACK_ROOT_LOGGER = False  # workers log through LOGGING (JSON in production)
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default=REDIS_URL or None)
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TIMEZONE = TIME_ZONE
CELERY_RESULT_EXPIRES = env.int("CELERY_RESULT_EXPIRES", default=7 * 24 * 3600)
CELERY_TASK_TRACK_STARTED = True
# Long tasks (a factsheet compile) take one message at a time, so nothing waits behind them.
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Time limits: the soft one raises SoftTimeLimitExceeded in the task (marked failed), the hard
# one kills the process. The broker's visibility timeout must stay above the hard limit, or a
# message still being worked on is handed to a second worker.
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=10 * 60)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=15 * 60)
# Idempotent tasks (reporting) opt in to acks_late + reject_on_worker_lost on their decorator;
# transient errors (database or broker connection lost) are retried with exponential backoff.
CELERY_TASK_MAX_RETRIES = env.int("CELERY_TASK_MAX_RETRIES", default=5)
CELERY_TASK_RETRY_BACKOFF_MAX = env.int("CELERY_TASK_RETRY_BACKOFF_MAX", default=600)
# Redis: a message taken by a worker that dies (SIGKILL, lost host) without acknowledging it
# is handed out again once it is this old; workers look for such messages every
# restore interval × throttle seconds (kombu's defaults: 10 × 10). It must outlast the longest
# time a live worker holds a message unacknowledged — the hard time limit, or a retry's
# countdown — so it is derived from them with a margin: 15 + 5 = 20 minutes by default.
CELERY_VISIBILITY_MARGIN = env.int("CELERY_VISIBILITY_MARGIN", default=5 * 60)
CELERY_VISIBILITY_TIMEOUT = env.int(
    "CELERY_VISIBILITY_TIMEOUT",
    default=max(CELERY_TASK_TIME_LIMIT, CELERY_TASK_RETRY_BACKOFF_MAX) + CELERY_VISIBILITY_MARGIN,
)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    **globals().get("CELERY_BROKER_TRANSPORT_OPTIONS", {}),  # the Sentinel options, when set
    "visibility_timeout": CELERY_VISIBILITY_TIMEOUT,
    "unacked_restore_interval": env.int("CELERY_RESTORE_INTERVAL", default=10),
    "unacked_restore_throttle": env.int("CELERY_RESTORE_THROTTLE", default=10),
}
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {
    **globals().get("CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS", {}),
    "visibility_timeout": CELERY_VISIBILITY_TIMEOUT,
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_DEFAULT_QUEUE = env("CELERY_QUEUE", default="celery")
# The outbox (outbox/): background work is written with the request and sent after the commit,
# OUTBOX_SEND_TIMEOUT seconds at most per attempt; what the broker refused is sent again by the
# beat every OUTBOX_DISPATCH_SECONDS (backing off up to OUTBOX_RETRY_MAX_SECONDS between
# attempts); sent messages are kept OUTBOX_KEEP_DAYS days.
OUTBOX_SEND_TIMEOUT = env.float("OUTBOX_SEND_TIMEOUT", default=1.0)
OUTBOX_DISPATCH_SECONDS = env.float("OUTBOX_DISPATCH_SECONDS", default=5)
OUTBOX_RETRY_MAX_SECONDS = env.int("OUTBOX_RETRY_MAX_SECONDS", default=300)
OUTBOX_KEEP_DAYS = env.int("OUTBOX_KEEP_DAYS", default=7)
# Beat: every night recompile the previous year's open (unpublished) factsheet, at this hour
# (local time); an empty value switches it off.
REPORTING_NIGHTLY_COMPILE_HOUR = env("REPORTING_NIGHTLY_COMPILE_HOUR", default="2")
REPORTING_NIGHTLY_COMPILE_MINUTE = env.int("REPORTING_NIGHTLY_COMPILE_MINUTE", default=30)
# Beat: every REPORTING_STUCK_SWEEP_SECONDS, a version `compiling` for longer than
# REPORTING_STUCK_AFTER_SECONDS (no worker can still hold its task: the visibility timeout and a
# margin), or whose outbox message was given up, is sent again — at most
# REPORTING_COMPILE_MAX_REQUEUES times, then marked failed.
REPORTING_STUCK_SWEEP_SECONDS = env.float("REPORTING_STUCK_SWEEP_SECONDS", default=60)
REPORTING_STUCK_AFTER_SECONDS = env.int(
    "REPORTING_STUCK_AFTER_SECONDS", default=CELERY_VISIBILITY_TIMEOUT + CELERY_VISIBILITY_MARGIN
)
REPORTING_COMPILE_MAX_REQUEUES = env.int("REPORTING_COMPILE_MAX_REQUEUES", default=3)

# --- E-mail, notifications and webhooks ---------------------------------------------------
# EMAIL_URL picks Django's e-mail backend: smtp://user:password@host:25, smtp+tls://…:587
# (STARTTLS), smtp+ssl://…:465; the default consolemail:// prints every e-mail on the console
# (the embedded default). Credentials in the URL are percent-encoded.
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update({key: value for key, value in EMAIL_CONFIG.items() if value not in (None, "")})
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="EMPACT Tracker <empact-tracker@localhost>")
SERVER_EMAIL = env("SERVER_EMAIL", default=DEFAULT_FROM_EMAIL)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=30)  # seconds per SMTP operation
# The address people reach the service at: links in e-mails and webhook payloads.
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000")
# Notifications (notifications/): an "immediately" e-mail gathers what happens within
# NOTIFICATIONS_BATCH_SECONDS (one e-mail for a period's figures submitted together; 0 with
# tasks run in process, where no beat sends later); the daily digest goes at
# NOTIFICATIONS_DIGEST_HOUR (local time); reminders NOTIFICATIONS_REMINDER_DAYS before a period's
# results are due, and once when overdue; the weekly digest on NOTIFICATIONS_DIGEST_WEEKDAY.
NOTIFICATIONS_BATCH_SECONDS = env.int(
    "NOTIFICATIONS_BATCH_SECONDS", default=0 if CELERY_TASK_ALWAYS_EAGER else 60
)
NOTIFICATIONS_DIGEST_HOUR = env.int("NOTIFICATIONS_DIGEST_HOUR", default=7)
NOTIFICATIONS_DIGEST_WEEKDAY = env("NOTIFICATIONS_DIGEST_WEEKDAY", default="mon")
NOTIFICATIONS_REMINDER_DAYS = env.int("NOTIFICATIONS_REMINDER_DAYS", default=14)
# Delivery (e-mails and webhooks): the beat sends what is due every NOTIFICATIONS_SWEEP_SECONDS;
# a failed attempt is retried after NOTIFICATIONS_RETRY_SECONDS, doubling up to
# NOTIFICATIONS_RETRY_MAX_SECONDS, NOTIFICATIONS_MAX_ATTEMPTS times in all; a sender's claim on a
# row counts as dead after NOTIFICATIONS_CLAIM_SECONDS (longer than any send: EMAIL_TIMEOUT and
# WEBHOOK_TIMEOUT bound each step).
NOTIFICATIONS_SWEEP_SECONDS = env.float("NOTIFICATIONS_SWEEP_SECONDS", default=15)
NOTIFICATIONS_RETRY_SECONDS = env.int("NOTIFICATIONS_RETRY_SECONDS", default=30)
NOTIFICATIONS_RETRY_MAX_SECONDS = env.int("NOTIFICATIONS_RETRY_MAX_SECONDS", default=3600)
NOTIFICATIONS_MAX_ATTEMPTS = env.int("NOTIFICATIONS_MAX_ATTEMPTS", default=8)
NOTIFICATIONS_CLAIM_SECONDS = env.int("NOTIFICATIONS_CLAIM_SECONDS", default=300)
# Webhooks: seconds to connect and to wait for the answer; networks a webhook may reach besides
# public addresses (and over http://): loopback while DEBUG is on, none in production (SSRF).
WEBHOOK_TIMEOUT = env.float("WEBHOOK_TIMEOUT", default=10)
WEBHOOK_ALLOWED_NETWORKS = env.list(
    "WEBHOOK_ALLOWED_NETWORKS", default=["127.0.0.0/8", "::1/128"] if DEBUG else []
)

# --- REST API -----------------------------------------------------------------------------
REST_FRAMEWORK = {
    # the token scheme first, so an unauthenticated request is told 401 with WWW-Authenticate
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "oap.api.auth.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "oap.api.pagination.KeysetPagination",
    "DEFAULT_SCHEMA_CLASS": "oap.api.schema.ApiSchema",
    "EXCEPTION_HANDLER": "oap.api.errors.exception_handler",
    # DRF's user and anon throttles, failing open: with the cache away a request goes through
    "DEFAULT_THROTTLE_CLASSES": [
        "empact_tracker.throttling.UserRateThrottle",
        "empact_tracker.throttling.AnonRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "user": env("API_THROTTLE_USER", default="1200/minute"),
        "anon": env("API_THROTTLE_ANON", default="60/minute"),
    },
    "DEFAULT_RENDERER_CLASSES": [
        "oap.api.renderers.JSONRenderer",  # DRF's bytes, written by orjson
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_PARSER_CLASSES": ["oap.api.parsers.JSONParser"],  # request bodies are JSON only
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
# The largest request body the API reads (bytes): beyond it, 413. 5 000 bulk results fit in 2 MB.
API_MAX_BODY_BYTES = env.int("API_MAX_BODY_BYTES", default=4 * 1024 * 1024)
# Seconds a POST's answer is kept for a retry with the same Idempotency-Key (oap/api/idempotency.py).
API_IDEMPOTENCY_TTL = env.int("API_IDEMPOTENCY_TTL", default=24 * 3600)
# The changes feed (/api/v1/changes/) holds back changes younger than this many seconds beyond the
# oldest transaction still writing: the margin for clocks of application servers and database.
API_CHANGES_SETTLE_SECONDS = env.float("API_CHANGES_SETTLE_SECONDS", default=2.0)
REST_KNOX = {
    "TOKEN_TTL": datetime.timedelta(days=env.int("API_TOKEN_TTL_DAYS", default=90)),
    "AUTH_HEADER_PREFIX": "Token",
    "AUTO_REFRESH": False,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "EMPACT Tracker API",
    "DESCRIPTION": (
        "Operational action plans, actions and results of EMPACT, for partner countries and national "
        "systems. Authenticate with `Authorization: Token <key>` (ask your EMPACT contact point for a "
        "token). You see what the access rule lets your organisation see; you record results for your "
        "own organisation in actions it takes part in. Errors share one body: `status`, `code`, "
        "`detail` and `errors` naming each field."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "COMPONENT_NO_READ_ONLY_REQUIRED": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "SERVERS": [{"url": "/", "description": "This EMPACT Tracker (the schema's own server)"}],
    "TAGS": [
        {"name": "me", "description": "Who you are and what your role allows."},
        {"name": "organisations", "description": "Member States, EU bodies and partners (reference data)."},
        {"name": "cycles", "description": "EMPACT cycles (reference data)."},
        {"name": "priorities", "description": "Priority crime areas of each cycle (reference data)."},
        {"name": "plans", "description": "Operational action plans."},
        {"name": "actions", "description": "Operational actions you may see, by their handling level."},
        {"name": "result-types", "description": "The counters results are reported in."},
        {"name": "results", "description": "Result entries: record, change, submit, validate, return."},
        {"name": "changes", "description": "What changed, in commit order: the feed to mirror from."},
        {"name": "periods", "description": "Reporting periods and their deadlines."},
        {"name": "completeness", "description": "Who has reported for a period."},
        {"name": "factsheets", "description": "Yearly factsheets: figures, compiles, publication."},
    ],
    "ENUM_NAME_OVERRIDES": {},
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "oap.api.schema.add_links",
    ],
}

# --- Spreadsheet imports --------------------------------------------------------------------
IMPORT_ASYNC_ROWS = env.int("IMPORT_ASYNC_ROWS", default=2000)  # larger files import in a task
IMPORT_MAX_ROWS = env.int("IMPORT_MAX_ROWS", default=50_000)

# --- Demo ---------------------------------------------------------------------------------
DEMO_PASSWORD = env("DEMO_PASSWORD", default="empact-demo")

# --- Audit trail --------------------------------------------------------------------------
# History is read in the admin; reverting from there would bypass the services' rules.
SIMPLE_HISTORY_REVERT_DISABLED = True
