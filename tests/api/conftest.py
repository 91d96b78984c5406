"""Fixtures of the API tests."""

from tests.api.limits import limited  # noqa: F401  (the throttle at a small rate, for the throttle tests)
