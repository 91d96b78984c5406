"""DRF's user and anon throttles, failing open: a throttle whose cache is away lets the request through.

The throttle only protects capacity; refusing every request because its counters cannot be read
would turn a cache outage into an API outage. While the cache is away each process logs one
warning a minute (with the number of requests let through unthrottled since the last one).
"""

from __future__ import annotations

import logging
import threading
import time

from rest_framework import throttling

from .outages import CACHE_ERRORS

logger = logging.getLogger(__name__)

WARN_EVERY = 60.0  # seconds between two warnings of one process
_lock = threading.Lock()
_state = {"warned_at": float("-inf"), "unthrottled": 0}


def _warn(scope: str, error: Exception) -> None:
    with _lock:
        _state["unthrottled"] += 1
        now = time.monotonic()
        if now - _state["warned_at"] < WARN_EVERY:
            return
        count, _state["unthrottled"], _state["warned_at"] = _state["unthrottled"], 0, now
    logger.warning(
        "throttle %s: the cache is unavailable (%s: %s); %s request(s) let through unthrottled",
        scope,
        type(error).__name__,
        error,
        count,
    )


class FailOpenMixin:
    def allow_request(self, request, view):
        try:
            return super().allow_request(request, view)
        except CACHE_ERRORS as error:
            _warn(self.scope, error)
            return True


class UserRateThrottle(FailOpenMixin, throttling.UserRateThrottle):
    pass


class AnonRateThrottle(FailOpenMixin, throttling.AnonRateThrottle):
    pass
