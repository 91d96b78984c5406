"""Production settings through environment variables; request ids, JSON logs, security headers."""

import io
import json
import logging
import os
import re
import runpy
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from empact_tracker.logging import JSONFormatter, RequestIDFilter, RequestIDMiddleware, get_request_id

ROOT = Path(__file__).resolve().parent.parent
SECRET = "deploy-test-" + "Vq8#rT2!nY6@eW4$" * 4
PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": SECRET,
    "ALLOWED_HOSTS": "empact.example.eu",
    "DATABASE_URL": "postgres://empact:secret@db.internal:5432/empact",
    "REDIS_URL": "redis://redis.internal:6379/0",
}
# what the environment may carry in CI or on a developer's machine, dropped for these runs
DROPPED = {
    "DEBUG",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "DATABASE_URL",
    "REDIS_URL",
    "CELERY_BROKER_URL",
    "CELERY_RESULT_BACKEND",
    "CELERY_TASK_ALWAYS_EAGER",
}

PROBE = """
import json, django
django.setup()
from django.conf import settings as s
print(json.dumps({
    "DEBUG": s.DEBUG,
    "ENGINE": s.DATABASES["default"]["ENGINE"],
    "CONN_MAX_AGE": s.DATABASES["default"]["CONN_MAX_AGE"],
    "CONN_HEALTH_CHECKS": s.DATABASES["default"]["CONN_HEALTH_CHECKS"],
    "EAGER": s.CELERY_TASK_ALWAYS_EAGER,
    "BROKER": s.CELERY_BROKER_URL,
    "BROKER_OPTIONS": getattr(s, "CELERY_BROKER_TRANSPORT_OPTIONS", {}),
    "SECURE_SSL_REDIRECT": s.SECURE_SSL_REDIRECT,
    "SECURE_PROXY_SSL_HEADER": s.SECURE_PROXY_SSL_HEADER,
    "SESSION_COOKIE_SECURE": s.SESSION_COOKIE_SECURE,
    "CSRF_COOKIE_SECURE": s.CSRF_COOKIE_SECURE,
    "SECURE_HSTS_SECONDS": s.SECURE_HSTS_SECONDS,
    "CSRF_TRUSTED_ORIGINS": s.CSRF_TRUSTED_ORIGINS,
    "SECRET_KEY_FALLBACKS": s.SECRET_KEY_FALLBACKS,
    "STATICFILES": s.STORAGES["staticfiles"]["BACKEND"],
    "LOG_FORMAT": s.LOG_FORMAT,
    "CACHE": s.CACHES["default"]["BACKEND"],
}))
"""


def run_settings(code_or_args, **environment):
    env = {key: value for key, value in os.environ.items() if key not in DROPPED}
    env.update(environment)
    env["DJANGO_SETTINGS_MODULE"] = "empact_tracker.settings"
    args = ["-c", code_or_args] if isinstance(code_or_args, str) else code_or_args
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def probe(**environment):
    result = run_settings(PROBE, **environment)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_the_embedded_default_needs_no_environment():
    values = probe()
    assert values["DEBUG"] is True
    assert values["ENGINE"].endswith("sqlite3")
    assert values["EAGER"] is True
    assert values["BROKER"] == "memory://"
    assert values["SECURE_SSL_REDIRECT"] is False
    assert values["SESSION_COOKIE_SECURE"] is False
    assert values["SECURE_HSTS_SECONDS"] == 0
    assert values["STATICFILES"] == "django.contrib.staticfiles.storage.StaticFilesStorage"
    assert values["LOG_FORMAT"] == "text"
    assert values["CACHE"].endswith("LocMemCache")


def test_production_is_strict_by_default():
    values = probe(**PRODUCTION)
    assert values["DEBUG"] is False
    assert values["ENGINE"] == "django.db.backends.postgresql"
    assert values["EAGER"] is False
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SESSION_COOKIE_SECURE"] is True
    assert values["CSRF_COOKIE_SECURE"] is True
    assert values["SECURE_HSTS_SECONDS"] >= 31_536_000
    assert values["STATICFILES"] == "whitenoise.storage.CompressedManifestStaticFilesStorage"
    assert values["LOG_FORMAT"] == "json"
    assert values["CONN_HEALTH_CHECKS"] is True


def test_every_production_difference_is_an_environment_variable():
    values = probe(
        **{**PRODUCTION, "REDIS_URL": "sentinel://s1:26379/0;sentinel://s2:26379/0"},
        SECURE_SSL_REDIRECT="0",
        SECURE_PROXY_SSL_HEADER="1",
        CONN_MAX_AGE="60",
        CSRF_TRUSTED_ORIGINS="https://empact.example.eu,https://www.empact.example.eu",
        SECRET_KEY_FALLBACKS="old-key-one,old-key-two",
        REDIS_SENTINEL_MASTER="empact",
        REDIS_SENTINEL_PASSWORD="sentinel-secret",
        CACHE_URL="redis://redis.internal:6379/1",
    )
    assert values["SECURE_SSL_REDIRECT"] is False
    assert values["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert values["CONN_MAX_AGE"] == 60
    assert values["CSRF_TRUSTED_ORIGINS"] == ["https://empact.example.eu", "https://www.empact.example.eu"]
    assert values["SECRET_KEY_FALLBACKS"] == ["old-key-one", "old-key-two"]
    assert values["BROKER"].startswith("sentinel://s1:26379/0;")
    assert values["BROKER_OPTIONS"]["master_name"] == "empact"
    assert values["BROKER_OPTIONS"]["sentinel_kwargs"] == {"password": "sentinel-secret"}
    assert values["CACHE"] == "django.core.cache.backends.redis.RedisCache"


def test_the_visibility_timeout_fits_the_longest_task_with_a_margin():
    """Minutes, not an hour: max(hard time limit, retry backoff) + margin, unless set outright."""
    assert probe(**PRODUCTION)["BROKER_OPTIONS"]["visibility_timeout"] == 15 * 60 + 5 * 60
    derived = probe(**PRODUCTION, CELERY_TASK_TIME_LIMIT="1800", CELERY_VISIBILITY_MARGIN="120")
    assert derived["BROKER_OPTIONS"]["visibility_timeout"] == 1800 + 120
    short = probe(**PRODUCTION, CELERY_TASK_TIME_LIMIT="60", CELERY_TASK_RETRY_BACKOFF_MAX="300")
    assert short["BROKER_OPTIONS"]["visibility_timeout"] == 300 + 300  # a retry's countdown is held too
    assert probe(**PRODUCTION, CELERY_VISIBILITY_TIMEOUT="900")["BROKER_OPTIONS"]["visibility_timeout"] == 900


def test_production_needs_a_secret_key():
    environment = {key: value for key, value in PRODUCTION.items() if key != "SECRET_KEY"}
    result = run_settings(PROBE, **environment)
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_check_deploy_passes_with_production_variables():
    result = run_settings(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_warns_when_debug_is_on():
    result = run_settings(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"], **{**PRODUCTION, "DEBUG": "1"}
    )
    assert result.returncode != 0


def test_whitenoise_right_after_the_security_middleware():
    middleware = settings.MIDDLEWARE
    security = middleware.index("django.middleware.security.SecurityMiddleware")
    assert middleware[security + 1] == "whitenoise.middleware.WhiteNoiseMiddleware"
    assert middleware.index("empact_tracker.logging.RequestIDMiddleware") < security


# --- security headers ---------------------------------------------------------------------


@pytest.mark.django_db
def test_security_headers_on_a_page(client):
    response = client.get("/admin/login/")
    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "script-src 'self';" in policy  # no inline or foreign scripts
    assert "img-src 'self' data:" in policy  # charts embedded as data URIs
    assert "frame-ancestors 'none'" in policy
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


@pytest.mark.django_db
def test_policy_can_be_report_only_or_off(client, settings):
    settings.CONTENT_SECURITY_POLICY_REPORT_ONLY = True
    response = client.get("/admin/login/")
    assert "Content-Security-Policy" not in response
    assert response["Content-Security-Policy-Report-Only"] == settings.CONTENT_SECURITY_POLICY
    settings.CONTENT_SECURITY_POLICY = ""
    response = client.get("/admin/login/")
    assert "Content-Security-Policy" not in response
    assert "Content-Security-Policy-Report-Only" not in response


def inline_scripts(html):
    """<script> elements with code in the page (blocked by script-src 'self')."""
    scripts = re.findall(r"<script\b([^>]*)>(.*?)</script>", html, re.S | re.I)
    return [
        body
        for attrs, body in scripts
        if "src=" not in attrs and "application/json" not in attrs and body.strip()
    ]


@pytest.mark.django_db
def test_admin_pages_run_under_the_policy(admin_client):
    """The admin keeps working with script-src 'self': no inline script on its pages."""
    from tests.factories import PlanFactory

    PlanFactory()  # a plan to add an action to (without one the add page is refused)
    for url in (
        "/admin/login/",
        "/admin/",
        "/admin/oap/operationalaction/",
        "/admin/oap/operationalaction/add/",
    ):
        response = admin_client.get(url)
        assert response.status_code in {200, 302}, url
        if response.status_code == 200:
            assert inline_scripts(response.content.decode()) == [], url


@pytest.mark.django_db
def test_static_files_are_served_by_whitenoise(client):
    response = client.get("/" + settings.STATIC_URL.lstrip("/") + "admin/css/base.css")
    assert response.status_code == 200
    assert b"".join(response.streaming_content)


# --- request id and JSON logs ---------------------------------------------------------------


@pytest.mark.django_db
def test_request_id_is_kept_or_made(client):
    response = client.get("/admin/login/", HTTP_X_REQUEST_ID="proxy-4f2a.17")
    assert response["X-Request-ID"] == "proxy-4f2a.17"
    made = client.get("/admin/login/")["X-Request-ID"]
    assert len(made) == 32 and int(made, 16) >= 0
    # a malformed id (spaces, newlines: log injection) is replaced, not echoed
    replaced = client.get("/admin/login/", HTTP_X_REQUEST_ID="evil\nid with spaces")["X-Request-ID"]
    assert replaced != "evil\nid with spaces" and len(replaced) == 32


def json_lines(stream):
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


@pytest.fixture
def json_log():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JSONFormatter())
    handler.addFilter(RequestIDFilter())
    logger = logging.getLogger("empact_tracker.tests.deploy")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    yield logger, stream
    logger.removeHandler(handler)


def test_json_formatter_emits_the_request_id(json_log, rf):
    logger, stream = json_log

    def view(request):
        assert get_request_id() == "req-123"
        logger.info("compiled %s", "factsheet", extra={"year": 2023})
        from django.http import HttpResponse

        return HttpResponse("ok")

    response = RequestIDMiddleware(view)(rf.get("/", HTTP_X_REQUEST_ID="req-123"))
    assert response["X-Request-ID"] == "req-123"
    logger.info("after the request")

    inside, after = json_lines(stream)
    assert inside["request_id"] == "req-123"
    assert inside["message"] == "compiled factsheet"
    assert inside["level"] == "INFO"
    assert inside["logger"] == "empact_tracker.tests.deploy"
    assert inside["year"] == 2023
    assert inside["time"].endswith("+00:00")
    assert after["request_id"] == "-"
    assert get_request_id() is None


def test_json_formatter_keeps_exceptions_on_one_line(json_log):
    logger, stream = json_log
    try:
        raise ValueError("bad figure")
    except ValueError:
        logger.exception("compile failed")
    (entry,) = json_lines(stream)
    assert entry["level"] == "ERROR"
    assert "ValueError: bad figure" in entry["exception"]
    assert len(stream.getvalue().strip().splitlines()) == 1


def test_production_logging_is_json():
    result = run_settings(
        "import django, logging; django.setup(); logging.getLogger('empact.probe').warning('hello %s', 'ops')",
        **PRODUCTION,
    )
    assert result.returncode == 0, result.stderr
    entry = json.loads(result.stderr.strip().splitlines()[-1])
    assert entry["message"] == "hello ops"
    assert entry["level"] == "WARNING"
    assert entry["request_id"] == "-"


# --- gunicorn -------------------------------------------------------------------------------


def test_gunicorn_configuration_from_the_environment(monkeypatch):
    monkeypatch.setenv("WEB_CONCURRENCY", "5")
    monkeypatch.setenv("DEBUG", "0")
    monkeypatch.delenv("LOG_FORMAT", raising=False)
    monkeypatch.delenv("GUNICORN_BIND", raising=False)
    config = runpy.run_path(str(ROOT / "empact_tracker" / "gunicorn.conf.py"))
    assert config["workers"] == 5
    assert config["bind"] == "0.0.0.0:8000"
    assert config["accesslog"] == "-"
    assert "x-request-id" in config["access_log_format"]
    formatters = config["logconfig_dict"]["formatters"]
    assert formatters["json"]["()"] == "empact_tracker.logging.JSONFormatter"


def test_gunicorn_access_lines_are_structured():
    atoms = {
        "h": "10.0.0.7",
        "m": "GET",
        "U": "/api/v1/actions/",
        "s": "200",
        "B": 512,
        "M": 42,
        "a": "curl/8",
        "{x-request-id}o": "abc123",
    }
    record = logging.LogRecord(
        "gunicorn.access", logging.INFO, "", 0, '%(h)s "%(m)s %(U)s" %(s)s', (atoms,), None
    )
    entry = json.loads(JSONFormatter().format(record))
    assert entry["message"] == '10.0.0.7 "GET /api/v1/actions/" 200'
    assert entry["request_id"] == "abc123"
    assert (entry["method"], entry["path"], entry["status"], entry["duration_ms"]) == (
        "GET",
        "/api/v1/actions/",
        "200",
        42,
    )


@pytest.mark.django_db
def test_swagger_ui_runs_under_the_policy(admin_client):
    response = admin_client.get("/api/v1/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html
    assert inline_scripts(html) == []
    # its scripts and styles come from our own static files (drf-spectacular-sidecar)
    assert re.findall(r'<script src="/static/', html)
