"""Redis away as the cache (issue 14.4): the throttle fails open, what needs the cache answers 503.

The cache is a Redis of the test's own (tests/servers.py), killed and started again. Requests go
through the whole middleware stack with the test client. Two small views stand for "something
that needs the cache" — one under /api/ (a DRF view, through the API's exception handler), one
elsewhere — since the project's own views only use the cache to go faster: the test shows what
the service answers when a cache call fails, whichever view makes it.
"""

from __future__ import annotations

import logging
import os

import pytest
from django.core.cache import cache
from django.http import HttpResponse
from django.urls import include, path
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from empact_tracker.throttling import UserRateThrottle
from tests.factories import OrganisationFactory, UserFactory
from tests.servers import RedisServer

pytestmark = [
    pytest.mark.slow,
    pytest.mark.django_db,
    pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs Redis: runs with REDIS_URL set"),
]


class NeedsCacheAPI(APIView):
    permission_classes = [AllowAny]

    def get(self, request):
        return Response({"hits": cache.get_or_set("probe", 0)})


def needs_cache_page(request):
    return HttpResponse(f"hits {cache.get_or_set('probe', 0)}")


urlpatterns = [
    path("api/v1/needs-cache/", NeedsCacheAPI.as_view()),
    path("reports/needs-cache/", needs_cache_page),
    path("", include("empact_tracker.urls")),
]


@pytest.fixture
def redis_cache(settings, tmp_path, monkeypatch):
    server = RedisServer(tmp_path / "redis").start()
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": server.url(1),
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
    settings.ROOT_URLCONF = __name__
    settings.OUTAGE_RETRY_AFTER = 23
    # DRF reads the rates once, into the class: 3 calls a minute for a signed-in user
    monkeypatch.setattr(UserRateThrottle, "THROTTLE_RATES", {"user": "3/minute", "anon": "100/minute"})
    try:
        yield server
    finally:
        server.stop()


def test_the_cache_away_and_back(client, redis_cache, caplog):
    partner = UserFactory(organisation=OrganisationFactory())
    api = client.__class__()
    api.force_login(partner)
    admin = client.__class__()
    admin.force_login(UserFactory(is_superuser=True, is_staff=True))

    assert api.get("/api/v1/me/").status_code == 200
    assert client.get("/api/v1/needs-cache/").status_code == 200

    redis_cache.kill()
    caplog.set_level(logging.WARNING)

    # the throttle fails open: the partner's calls go through, with a warning in the log
    for _ in range(5):  # more than the 3 a minute the throttle allows
        response = api.get("/api/v1/me/")
        assert response.status_code == 200, response.content
    assert "the cache is unavailable" in caplog.text

    # what needs the cache: the API's JSON 503, a plain page elsewhere, both with Retry-After
    response = client.get("/api/v1/needs-cache/")
    assert response.status_code == 503
    assert response["Retry-After"] == "23"
    assert response.json() == {
        "status": 503,
        "code": "service_unavailable",
        "detail": "The service is temporarily unavailable. Try again in 23 seconds.",
        "errors": {},
    }
    response = client.get("/reports/needs-cache/")
    assert response.status_code == 503
    assert response["Retry-After"] == "23"
    assert response["Content-Type"].startswith("text/html")
    assert "Service temporarily unavailable" in response.content.decode()
    assert "cache unavailable while serving GET /reports/needs-cache/" in caplog.text

    # the admin does not need the cache at all
    assert admin.get("/admin/").status_code == 200

    redis_cache.start()
    assert client.get("/api/v1/needs-cache/").status_code == 200
    assert client.get("/reports/needs-cache/").status_code == 200
    # and the throttle counts again: a fourth call within the minute is refused (the calls let
    # through while the cache was away were not counted; the one before it may be, from the AOF)
    statuses = [api.get("/api/v1/me/").status_code for _ in range(4)]
    assert statuses[:2] == [200, 200] and statuses[-1] == 429, statuses
