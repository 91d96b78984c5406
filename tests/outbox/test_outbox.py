"""The outbox: a message lives and dies with the request's transaction and is never lost after it."""

import os
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone

import outbox
from empact_tracker.celery import OUTBOX_DISPATCH, STUCK_COMPILES
from empact_tracker.celery import app as celery_app
from outbox.models import Message
from outbox.services import backlog, dispatch, prune, send
from tests.servers import RedisServer, free_port

pytestmark = pytest.mark.django_db

TASK = "tests.outbox.record"
needs_redis = pytest.mark.skipif(
    not os.environ.get("REDIS_URL"), reason="needs Redis: runs with REDIS_URL set"
)


def test_a_rolled_back_request_leaves_no_message_and_runs_nothing(
    eager, ran, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ValueError), transaction.atomic():
        outbox.enqueue(TASK, 1)
        raise ValueError("the request failed after the enqueue")
    assert not Message.objects.exists()
    assert ran == []


def test_without_a_broker_the_task_runs_right_after_the_commit(
    eager, ran, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        message = outbox.enqueue(TASK, 7, "x", key="tests:7")
        assert ran == []  # not before the commit
    assert len(callbacks) == 1
    assert ran == [[7, "x"]]
    message.refresh_from_db()
    assert (message.state, message.attempts, message.key) == ("sent", 1, "tests:7")
    assert send(message.pk) is False  # sent once: a second send does nothing


def test_a_task_failing_in_process_is_recorded_not_raised(eager, ran, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        failing = outbox.enqueue(TASK, "boom")
        unknown = outbox.enqueue("tests.outbox.no_such_task", 1)
    failing.refresh_from_db()
    unknown.refresh_from_db()
    assert failing.state == "failed" and failing.last_error == "RuntimeError: boom"
    assert unknown.state == "failed" and "no_such_task" in unknown.last_error


def test_arguments_must_be_json():
    with pytest.raises(TypeError):
        outbox.enqueue(TASK, object())
    assert not Message.objects.exists()


def test_a_broker_that_does_not_answer_leaves_the_message_pending_with_a_backoff(broker_at, ran):
    broker_at(f"redis://127.0.0.1:{free_port()}/0")  # nothing listens there
    message = outbox.enqueue(TASK, 1)
    before = timezone.now()
    assert send(message.pk) is False
    message.refresh_from_db()
    assert (message.state, message.attempts) == ("pending", 1)
    assert "Connection refused" in message.last_error
    assert message.next_attempt_at > before  # the beat waits a little before the next attempt
    assert dispatch() == 0  # not due yet
    assert backlog()["pending"] == 1
    assert ran == []


@needs_redis
def test_the_beat_sends_what_is_due_to_a_real_broker_in_order(broker_at, tmp_path):
    redis = RedisServer(tmp_path / "redis").start()
    try:
        broker_at(redis.url(0))
        first, second = outbox.enqueue(TASK, 1), outbox.enqueue(TASK, 2)  # no commit here: nothing sent yet
        old = outbox.enqueue(TASK, 0)
        Message.objects.filter(pk=old.pk).update(sent_at=timezone.now() - timedelta(days=30))
        assert dispatch() == 2
        assert redis.cli("llen", "celery") == "2"
        queued = redis.cli("lrange", "celery", "0", "-1")
        assert queued.index(second.task_id) < queued.index(first.task_id)  # LPUSH: the newest first
        assert [m.state for m in Message.objects.filter(pk__in=[first.pk, second.pk])] == ["sent", "sent"]
        assert dispatch() == 0
        assert prune() == 1 and not Message.objects.filter(pk=old.pk).exists()
    finally:
        redis.stop()


@needs_redis
@pytest.mark.django_db(
    transaction=True, serialized_rollback=True
)  # the migrations' rows stay for later tests
def test_two_dispatchers_never_send_the_same_row(broker_at, on_postgres, tmp_path):
    """A row being sent is locked FOR UPDATE SKIP LOCKED: a second dispatcher passes it by."""
    import threading

    redis = RedisServer(tmp_path / "redis").start()
    try:
        broker_at(redis.url(0))
        Message.objects.create(task_name=TASK, args=[1])
        locked, release = threading.Event(), threading.Event()

        def hold():
            with transaction.atomic():
                list(Message.objects.select_for_update())
                locked.set()
                release.wait(10)
            connection.close()

        holder = threading.Thread(target=hold)
        holder.start()
        locked.wait(10)
        assert dispatch() == 0
        release.set()
        holder.join(10)
        assert dispatch() == 1
    finally:
        redis.stop()


def test_the_management_command_sends_and_reports(eager, ran):
    Message.objects.create(task_name=TASK, args=[3], next_attempt_at=timezone.now() + timedelta(hours=1))
    out = StringIO()
    call_command("outbox_dispatch", stdout=out)
    assert out.getvalue().startswith("sent 0; pending 1")
    call_command("outbox_dispatch", "--now", stdout=out)
    assert "sent 1; pending 0" in out.getvalue()
    assert ran == [[3]]


def test_the_beat_runs_the_outbox_and_the_stuck_compile_sweep_often_and_drops_stale_ticks():
    schedule = celery_app.conf.beat_schedule
    assert schedule[OUTBOX_DISPATCH]["task"] == "outbox.dispatch"
    assert schedule[OUTBOX_DISPATCH]["schedule"] == 5.0
    assert schedule[OUTBOX_DISPATCH]["options"]["expires"] == 5.0
    assert schedule[STUCK_COMPILES]["task"] == "reporting.requeue_stuck_compiles"
    assert schedule[STUCK_COMPILES]["options"]["expires"] == 60.0
