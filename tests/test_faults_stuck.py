"""Compiles stuck in `compiling` with no live task are sent again by the beat (issue 14.3)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from empact_tracker.celery import app as celery_app
from outbox.models import Message
from reporting.choices import FactsheetStatus
from reporting.models import Factsheet
from reporting.services import factsheet_request_compile, factsheet_requeue_stuck
from reporting.tasks import requeue_stuck_compiles_task
from tests.test_faults_broker import validated_year

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def in_process(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.REPORTING_STUCK_AFTER_SECONDS = 1500
    settings.REPORTING_COMPILE_MAX_REQUEUES = 2
    conf = celery_app.conf
    saved = conf.task_always_eager
    conf.task_always_eager = True
    yield
    conf.task_always_eager = saved


def requested_long_ago(minutes: int = 30) -> Factsheet:
    """A compile requested `minutes` ago whose message went to the broker and was lost there."""
    factsheet = factsheet_request_compile(by=None, year=2023)  # the test's transaction never commits:
    Message.objects.filter(task_id=factsheet.task_id).update(sent_at=timezone.now())  # "sent", not run
    Factsheet.objects.filter(pk=factsheet.pk).update(updated_at=timezone.now() - timedelta(minutes=minutes))
    return factsheet


def test_a_compile_with_no_live_task_is_sent_again_and_done(django_capture_on_commit_callbacks):
    arrests = validated_year(2023)
    lost = requested_long_ago(30)
    with django_capture_on_commit_callbacks(execute=True):
        assert requeue_stuck_compiles_task() == [lost.pk]
    again = Factsheet.objects.get(pk=lost.pk)
    assert again.status == FactsheetStatus.COMPILED
    assert again.figures["headline"]["arrests"] == arrests
    assert again.task_id != lost.task_id
    assert Message.objects.filter(key=f"reporting.factsheet:{lost.pk}").count() == 2


def test_recent_compiles_and_compiles_waiting_for_the_broker_are_left_alone():
    validated_year(2023)
    recent = requested_long_ago(minutes=5)
    assert factsheet_requeue_stuck() == []
    Factsheet.objects.filter(pk=recent.pk).update(updated_at=timezone.now() - timedelta(hours=3))
    Message.objects.update(sent_at=None)  # still in the outbox: the broker has been away for 3 h
    assert factsheet_requeue_stuck() == []
    assert Factsheet.objects.get(pk=recent.pk).task_id == recent.task_id


def test_a_compile_whose_message_was_given_up_is_sent_again_at_once():
    validated_year(2023)
    factsheet = factsheet_request_compile(by=None, year=2023)
    Message.objects.filter(task_id=factsheet.task_id).update(failed_at=timezone.now(), last_error="boom")
    assert factsheet_requeue_stuck() == [factsheet.pk]


def test_after_the_last_requeue_the_version_is_marked_failed_for_a_person():
    validated_year(2023)
    factsheet = requested_long_ago()
    now = timezone.now()
    for _ in range(2):  # REPORTING_COMPILE_MAX_REQUEUES
        assert factsheet_requeue_stuck(now=now) == [factsheet.pk]
        Message.objects.update(sent_at=now)
        now += timedelta(minutes=30)
    assert factsheet_requeue_stuck(now=now) == []
    failed = Factsheet.objects.get(pk=factsheet.pk)
    assert failed.status == FactsheetStatus.FAILED
    assert failed.error == "The compile was sent 3 times and never finished; see the worker logs."
