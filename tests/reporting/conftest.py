"""Fixtures of the reporting tests: files under a temporary MEDIA_ROOT, tasks run in process.

Only the real-worker tests (`test_worker.py`, fixture `celery_worker_env`) send tasks through
Redis; every other test runs them eagerly, even when REDIS_URL is set.
"""

import pytest
from django.db import transaction

from empact_tracker.celery import app as celery_app


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
