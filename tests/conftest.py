"""Shared fixtures. The suite runs on DATABASE_URL (PostgreSQL in CI), SQLite otherwise."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.test import override_settings

from tests.access_matrix import world  # noqa: F401  (the access-matrix fixture, for every test module)


@pytest.fixture
def on_postgres():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (set DATABASE_URL)")
    return True


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Tests create many users; a fast hasher keeps that cheap (production keeps PBKDF2)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="module")
def demo_data(django_db_setup, django_db_blocker, tmp_path_factory):
    """The demo data set as `manage.py load_demo` leaves it (with the 2022 and 2023 factsheets
    published, which locks those years), loaded once for a test module and rolled back after it;
    its output. The factsheets' files go to a temporary MEDIA_ROOT."""
    out = StringIO()
    with (
        override_settings(
            PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
            MEDIA_ROOT=str(tmp_path_factory.mktemp("demo-media")),
        ),
        django_db_blocker.unblock(),
        transaction.atomic(),
    ):
        call_command("load_demo", stdout=out)
        yield out.getvalue()
        transaction.set_rollback(True)
