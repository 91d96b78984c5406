"""/healthz: up or down for everyone, the details for operators; cheap and open.

The test client calls from 127.0.0.1, one of the default HEALTHZ_DETAIL_NETWORKS: it sees the
details. Anonymous callers from elsewhere use OUTSIDE.
"""

import shutil
import socket
import subprocess
import time

import pytest
from django.conf import settings
from django.db import OperationalError, connection
from django.urls import reverse

from empact_tracker import health

pytestmark = pytest.mark.django_db

OUTSIDE = "203.0.113.9"  # TEST-NET-3: not in the default detail networks


def closed_port():
    """A local TCP port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def eager(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    return settings


@pytest.fixture
def broker(settings):
    """Tasks go to a broker (not eager); the test sets CELERY_BROKER_URL."""
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.HEALTHZ_TIMEOUT = 0.5
    return settings


def test_route():
    assert reverse("healthz") == "/healthz"


def test_eager_tasks_need_no_broker(client, eager):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"]["ok"] is True
    assert body["database"]["vendor"] == connection.vendor
    assert body["broker"] == {"ok": True, "kind": "eager", "latency_ms": body["broker"]["latency_ms"]}
    assert response["Content-Type"] == "application/json"
    assert response["Cache-Control"] == "no-store"


def test_a_reachable_redis_broker(client, broker):
    if not settings.REDIS_URL.startswith("redis"):
        pytest.skip("needs Redis (set REDIS_URL)")
    broker.CELERY_BROKER_URL = settings.REDIS_URL
    response = client.get("/healthz")
    assert response.status_code == 200, response.content
    assert response.json()["broker"]["kind"] == "redis"
    assert response.json()["broker"]["ok"] is True


def test_an_unreachable_broker_degrades_but_the_instance_still_serves(client, broker):
    """Background work waits in the outbox: a load balancer must keep the instance."""
    broker.CELERY_BROKER_URL = f"redis://127.0.0.1:{closed_port()}/0"
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"
    assert body["database"]["ok"] is True
    assert body["broker"]["ok"] is False
    assert body["broker"]["error"] == "ConnectionError"
    # errors by class name only: no host, port or credentials in the answer
    assert "127.0.0.1" not in response.content.decode()
    anonymous = client.get("/healthz", REMOTE_ADDR=OUTSIDE)
    assert (anonymous.status_code, anonymous.json()) == (200, {"status": "ok"})


def test_failover_list_uses_the_first_broker_that_answers(client, broker):
    if not settings.REDIS_URL.startswith("redis"):
        pytest.skip("needs Redis (set REDIS_URL)")
    broker.CELERY_BROKER_URL = f"redis://127.0.0.1:{closed_port()}/0;{settings.REDIS_URL}"
    assert client.get("/healthz").status_code == 200


def test_an_unreachable_sentinel_is_reported(client, broker):
    broker.CELERY_BROKER_URL = (
        f"sentinel://127.0.0.1:{closed_port()}/0;sentinel://127.0.0.1:{closed_port()}/0"
    )
    broker.REDIS_SENTINEL_MASTER = "mymaster"
    response = client.get("/healthz")
    assert response.json()["status"] == "degraded"
    assert response.json()["broker"]["ok"] is False


def test_a_database_failure_is_503(client, eager, monkeypatch):
    def check_database():
        raise OperationalError("connection refused")

    monkeypatch.setattr(health, "check_database", check_database)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"
    assert response.json()["database"]["ok"] is False
    assert response.json()["broker"]["ok"] is True
    anonymous = client.get("/healthz", REMOTE_ADDR=OUTSIDE)
    assert (anonymous.status_code, anonymous.json()) == (503, {"status": "unavailable"})


def test_answered_whatever_the_host_and_https_settings(client, eager):
    """Load balancers and the container HEALTHCHECK probe by IP over plain HTTP."""
    eager.SECURE_SSL_REDIRECT = True
    eager.ALLOWED_HOSTS = ["empact.example.eu"]
    response = client.get("/healthz", HTTP_HOST="10.0.0.7:8000")
    assert response.status_code == 200
    assert client.head("/healthz", HTTP_HOST="10.0.0.7:8000").status_code == 200
    # other paths still get the host check and the redirect
    assert client.get("/admin/login/", HTTP_HOST="10.0.0.7:8000").status_code == 400
    assert client.get("/admin/login/", HTTP_HOST="empact.example.eu").status_code == 301


def test_no_session_no_authentication(client, eager, django_user_model):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert not response.cookies
    assert "X-Request-ID" in response


def test_the_view_without_the_middleware(rf, eager):
    response = health.healthz(rf.get("/healthz"))
    assert response.status_code == 200


@pytest.fixture
def sentinel_pair(tmp_path):
    """A throwaway Redis and a Sentinel watching it as ``mymaster`` (skipped without redis-server)."""
    if not shutil.which("redis-server") or not shutil.which("redis-cli"):
        pytest.skip("needs redis-server")
    redis_port, sentinel_port = closed_port(), closed_port()
    common = ["--bind", "127.0.0.1", "--daemonize", "yes", "--dir", str(tmp_path)]
    subprocess.run(
        ["redis-server", "--port", str(redis_port), "--save", "", "--appendonly", "no", *common],
        check=True,
        timeout=10,
    )
    config = tmp_path / "sentinel.conf"
    config.write_text(f"port {sentinel_port}\nsentinel monitor mymaster 127.0.0.1 {redis_port} 1\n")
    subprocess.run(["redis-server", str(config), "--sentinel", *common], check=True, timeout=10)
    try:
        for _ in range(50):
            ping = subprocess.run(
                ["redis-cli", "-p", str(sentinel_port), "ping"], capture_output=True, timeout=5
            )
            if ping.stdout.strip() == b"PONG":
                break
            time.sleep(0.1)
        yield sentinel_port
    finally:
        for port in (sentinel_port, redis_port):
            subprocess.run(
                ["redis-cli", "-p", str(port), "shutdown", "nosave"], capture_output=True, timeout=10
            )


def test_a_broker_behind_sentinel(client, broker, sentinel_pair):
    # the first Sentinel is down: the next one names the master
    broker.CELERY_BROKER_URL = (
        f"sentinel://127.0.0.1:{closed_port()}/0;sentinel://127.0.0.1:{sentinel_pair}/0"
    )
    broker.REDIS_SENTINEL_MASTER = "mymaster"
    response = client.get("/healthz")
    assert response.status_code == 200, response.content
    assert response.json()["broker"]["kind"] == "sentinel"
    broker.REDIS_SENTINEL_MASTER = "no-such-master"
    assert client.get("/healthz").json()["broker"]["ok"] is False


# --- who sees the details (issue 12.9) -------------------------------------------------------


def test_anonymous_callers_see_up_or_down_and_nothing_else(client, eager):
    response = client.get("/healthz", REMOTE_ADDR=OUTSIDE)
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response["Cache-Control"] == "no-store"
    text = response.content.decode()
    for secret in (connection.vendor, "latency", "database", "broker"):
        assert secret not in text
    assert client.head("/healthz", REMOTE_ADDR=OUTSIDE).status_code == 200


def sign_in(client, **user_fields):
    from tests.factories import OrganisationFactory, UserFactory

    organisation = OrganisationFactory(is_hub=user_fields.pop("hub", False))
    user = UserFactory(organisation=organisation, **user_fields)
    client.force_login(user)
    return user


@pytest.mark.parametrize(
    ("who", "details"),
    [({"hub": True}, True), ({"is_superuser": True}, True), ({"hub": False}, False)],
    ids=["hub member", "superuser", "member state coordinator"],
)
def test_operators_signed_in_see_the_details_from_anywhere(client, eager, who, details):
    sign_in(client, **who)
    body = client.get("/healthz", REMOTE_ADDR=OUTSIDE).json()
    assert body["status"] == "ok"
    if details:
        assert body["database"]["vendor"] == connection.vendor
        assert body["database"]["latency_ms"] >= 0
        assert body["broker"]["kind"] == "eager"
        assert body["outbox"]["pending"] == 0
    else:
        assert body == {"status": "ok"}


def test_the_view_routed_after_the_session_middleware_reads_the_user_too(client, eager):
    sign_in(client, hub=True)
    # a POST is not answered by the early middleware: it goes through urls.py with request.user set
    body = client.post("/healthz", REMOTE_ADDR=OUTSIDE).json()
    assert body["database"]["ok"] is True


def test_detail_networks_are_a_setting(client, eager):
    eager.HEALTHZ_DETAIL_NETWORKS = ["10.0.0.0/8", "2001:db8::/32"]
    assert "database" in client.get("/healthz", REMOTE_ADDR="10.20.30.40").json()
    assert "database" in client.get("/healthz", REMOTE_ADDR="2001:db8::7").json()
    assert client.get("/healthz", REMOTE_ADDR="127.0.0.1").json() == {"status": "ok"}
    assert client.get("/healthz", REMOTE_ADDR="not-an-address").json() == {"status": "ok"}
