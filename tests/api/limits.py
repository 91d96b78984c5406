"""The throttle set to a small rate for the throttle tests: `limited` (fixture) and its `LIMIT`."""

import pytest
from django.core.cache import cache
from rest_framework.throttling import UserRateThrottle

#: requests a user may make per minute while `limited` holds
LIMIT = 100


@pytest.fixture
def limited(monkeypatch):
    monkeypatch.setattr(
        UserRateThrottle, "THROTTLE_RATES", {"user": f"{LIMIT}/minute", "anon": "1000/minute"}
    )
    cache.clear()
    yield
    cache.clear()
