"""DRF's user and anon throttles, counting exactly across processes and failing open.

Each caller's requests are counted in the cache with an atomic increment (Redis `INCR`; the local
memory cache locks): a window opens at a caller's first request and lasts the rate's period, and
the requests beyond the rate within it are refused (429 with `Retry-After`), however many
gunicorn workers and threads serve them. Every answer carries `RateLimit-Limit`,
`RateLimit-Remaining` and `RateLimit-Reset` (seconds), set on the request for the view to send.

The throttle only protects capacity; refusing every request because its counters cannot be read
would turn a cache outage into an API outage. While the cache is away each process logs one
warning a minute (with the number of requests let through unthrottled since the last one).
"""

from __future__ import annotations

import logging
import math
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


class CountingMixin:
    """A window of `duration` seconds from a caller's first request; an atomic counter within it."""

    def allow_request(self, request, view):
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        count, self.reset = self.count()
        remaining = max(0, self.num_requests - count)
        request._request.ratelimit = (self.num_requests, remaining, self.reset)
        return count <= self.num_requests

    def _open(self, now: float) -> None:
        if self.cache.add(self.key, 0, self.duration):  # a new window: note when it opened
            self.cache.set(f"{self.key}:opened", now, self.duration)

    def count(self) -> tuple[int, int]:
        """This request's number in the caller's window, and the seconds until the window ends."""
        now = time.time()
        self._open(now)
        try:
            count = self.cache.incr(self.key)
        except ValueError:  # the window ended between the two calls
            self._open(now)
            count = self.cache.incr(self.key)
        opened = self.cache.get(f"{self.key}:opened") or now
        return count, max(1, math.ceil(opened + self.duration - now))

    def wait(self):
        return getattr(self, "reset", self.duration)


class FailOpenMixin:
    def allow_request(self, request, view):
        try:
            return super().allow_request(request, view)
        except CACHE_ERRORS as error:
            _warn(self.scope, error)
            return True


class UserRateThrottle(FailOpenMixin, CountingMixin, throttling.UserRateThrottle):
    pass


class AnonRateThrottle(FailOpenMixin, CountingMixin, throttling.AnonRateThrottle):
    pass
