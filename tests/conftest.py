"""Shared fixtures. The suite runs on DATABASE_URL (PostgreSQL in CI), SQLite otherwise."""

import pytest
from django.db import connection


@pytest.fixture
def on_postgres():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (set DATABASE_URL)")
    return True
