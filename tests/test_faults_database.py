"""PostgreSQL away (issue 14.7): the API answers its JSON 503, the admin a readable 503 page; 200 after.

The service runs as deployed — gunicorn, DEBUG off, persistent connections with health checks —
on a PostgreSQL of its own (tests/servers.py), which the test stops (`pg_ctl stop -m fast`, as
`systemctl stop postgresql` does: clients disconnected, new connections refused) and starts
again. The shared server on 5432 is never touched.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.servers import PostgresServer, free_port, port_open, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

ROOT = Path(__file__).resolve().parent.parent

SETUP = """
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from knox.models import AuthToken
from oap.models import Organisation, User

hub = Organisation.objects.create(code="EUROPOL", name="Europol", kind="eu_agency", is_hub=True)
user = User.objects.create_superuser("ops", "ops@example.eu", "unused-" + "x" * 20, organisation=hub)
session = SessionStore()
session[SESSION_KEY] = str(user.pk)
session[BACKEND_SESSION_KEY] = "oap.access.AccessBackend"
session[HASH_SESSION_KEY] = user.get_session_auth_hash()
session.create()
print(AuthToken.objects.create(user)[1], session.session_key)
"""


def request(url, *, headers=None):
    """(status, headers, body) of a GET; HTTP errors are answers too."""
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=20) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


@pytest.fixture
def stack(on_postgres, tmp_path):
    """gunicorn on its own PostgreSQL; yields what the test needs to call it."""
    pg = PostgresServer().init().start()
    pg.createdb("empact")
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "LANG": "C.UTF-8",
        "DJANGO_SETTINGS_MODULE": "empact_tracker.settings",
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": pg.url(),
        "CONN_MAX_AGE": "60",
        "CONN_HEALTH_CHECKS": "1",
        "SECURE_SSL_REDIRECT": "0",
        "SESSION_COOKIE_SECURE": "0",
        "CSRF_COOKIE_SECURE": "0",
        "SECURE_HSTS_SECONDS": "0",
        "STATIC_ROOT": str(tmp_path / "static"),
        "MEDIA_ROOT": str(tmp_path / "media"),
        "LOG_FORMAT": "json",
        "OUTAGE_RETRY_AFTER": "17",
    }
    manage = [sys.executable, "manage.py"]
    jobs = [
        subprocess.Popen(
            [*manage, "migrate", "--noinput"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        ),
        subprocess.Popen(
            [*manage, "collectstatic", "--noinput"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        ),
    ]
    for job in jobs:
        output, _ = job.communicate(timeout=180)
        assert job.returncode == 0, output.decode()
    done = subprocess.run(
        [*manage, "shell", "-c", SETUP], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    token, session = done.stdout.split()[-2:]

    port = free_port()
    log = open(tmp_path / "gunicorn.log", "wb")  # noqa: SIM115 - closed below
    gunicorn = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--config",
            "empact_tracker/gunicorn.conf.py",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "empact_tracker.wsgi:application",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )

    def logs(whole=False):
        text = (tmp_path / "gunicorn.log").read_text(errors="replace")
        return text if whole else text[-4000:] + pg.log()

    try:
        wait_until(lambda: port_open(port), "gunicorn to listen", logs=logs)
        yield pg, f"http://127.0.0.1:{port}", token, session, logs
    finally:
        gunicorn.terminate()
        try:
            gunicorn.wait(timeout=20)
        except subprocess.TimeoutExpired:
            gunicorn.kill()
        log.close()
        pg.remove()


def test_postgresql_away_answers_503_in_each_interface_and_200_once_it_is_back(stack):
    pg, base, token, session, logs = stack
    api = {"Authorization": f"Token {token}", "Accept": "application/json"}
    admin = {"Cookie": f"sessionid={session}"}

    status, _, body = request(f"{base}/api/v1/me/", headers=api)
    assert status == 200, body
    assert request(f"{base}/admin/", headers=admin)[0] == 200

    pg.stop("fast")

    status, headers, body = request(f"{base}/api/v1/me/", headers=api)
    assert status == 503, body
    assert headers["Content-Type"] == "application/json"
    assert headers["Retry-After"] == "17"
    assert json.loads(body) == {
        "status": 503,
        "code": "service_unavailable",
        "detail": "The service is temporarily unavailable. Try again in 17 seconds.",
        "errors": {},
    }

    status, headers, body = request(f"{base}/admin/", headers=admin)
    assert status == 503, body
    assert headers["Content-Type"].startswith("text/html")
    assert headers["Retry-After"] == "17"
    page = body.decode()
    assert "Service temporarily unavailable" in page
    assert "try again in 17 seconds" in page
    assert "Traceback" not in page and "OperationalError" not in page

    status, _, body = request(f"{base}/healthz")  # from loopback: the details
    assert status == 503 and json.loads(body)["status"] == "unavailable"
    assert '"unavailable": "database"' in logs(whole=True)  # the log names the part that is away

    pg.start()
    wait_until(
        lambda: request(f"{base}/api/v1/me/", headers=api)[0] == 200, "the API to answer again", logs=logs
    )
    status, _, body = request(f"{base}/api/v1/me/", headers=api)
    assert json.loads(body)["username"] == "ops"
    assert request(f"{base}/admin/", headers=admin)[0] == 200
    assert request(f"{base}/healthz")[0] == 200
