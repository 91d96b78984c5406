"""Fixtures of the reporting tests: files under a temporary MEDIA_ROOT, tasks run in process, and
the demo data without its published factsheets.

Only the real-worker tests (`test_worker.py`, fixture `celery_worker_env`) send tasks through
Redis; every other test runs them eagerly, even when REDIS_URL is set.
"""

from io import StringIO

import pytest
from django.core.management.base import OutputWrapper
from django.db import transaction
from django.test import override_settings

from empact_tracker.celery import app as celery_app


@pytest.fixture(scope="module")
def demo_data(django_db_setup, django_db_blocker):
    """The demo data set (`oap.demo.load_demo`) without the factsheets `manage.py load_demo`
    publishes: these tests compile and publish 2022 and 2023 themselves, so those years start open
    (the published demo is tested in `test_demo.py`). Loaded once for a module, rolled back after it."""
    from oap.demo import load_demo

    out = StringIO()
    with (
        override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]),
        django_db_blocker.unblock(),
        transaction.atomic(),
    ):
        load_demo(stdout=OutputWrapper(out))
        yield out.getvalue()
        transaction.set_rollback(True)


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture(autouse=True)
def _tasks_in_process(request):
    if "celery_worker_env" in request.fixturenames:
        yield
        return
    conf = celery_app.conf
    saved = conf.task_always_eager
    conf.task_always_eager = True
    try:
        yield
    finally:
        conf.task_always_eager = saved


@pytest.fixture
def compile_now(django_capture_on_commit_callbacks):
    """Request a compile and run the task the commit sends (in process); the refreshed factsheet."""
    from reporting.services import factsheet_request_compile

    def run(*, by, year, priority=None):
        with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
            factsheet = factsheet_request_compile(by=by, year=year, priority=priority)
        factsheet.refresh_from_db()
        return factsheet

    return run


@pytest.fixture
def demo_users(demo_data):
    from oap.models import User

    return {user.username: user for user in User.objects.select_related("organisation")}
