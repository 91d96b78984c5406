"""Outbox tests: a task of their own, run in process (eager) unless a test points at a broker."""

import pytest
from celery import shared_task

from empact_tracker.celery import app as celery_app

RAN: list = []


@shared_task(name="tests.outbox.record")
def record_task(*args):
    """Remember the arguments it ran with; `boom` makes it fail."""
    if "boom" in args:
        raise RuntimeError("boom")
    RAN.append(list(args))


@pytest.fixture
def ran():
    RAN.clear()
    yield RAN
    RAN.clear()


@pytest.fixture
def eager():
    conf = celery_app.conf
    saved = conf.task_always_eager
    conf.task_always_eager = True
    yield
    conf.task_always_eager = saved


@pytest.fixture
def broker_at():
    """Send to the broker at a given URL instead of running in process."""
    conf = celery_app.conf
    saved = conf.broker_url, conf.task_always_eager

    def point(url):
        conf.broker_url, conf.task_always_eager = url, False

    yield point
    conf.broker_url, conf.task_always_eager = saved
