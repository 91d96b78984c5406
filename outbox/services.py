"""Write, send and prune outbox messages.

- ``enqueue`` writes the row in the caller's transaction and registers ``send`` for the commit.
- ``send`` (after the commit) hands one message to the broker through its own short-lived
  connection: ``OUTBOX_SEND_TIMEOUT`` seconds to connect, no retry loop, no result-backend
  subscription (Celery's own ``apply_async`` may wait up to 19 s for a dead Redis: 20 reconnects
  of the result backend). A failure is recorded on the row and the beat tries again.
- ``dispatch`` sends every due message, in batches, each row locked ``FOR UPDATE SKIP LOCKED`` so
  that the beat, a management command and a request's own ``send`` never publish the same row
  at the same time (on PostgreSQL; elsewhere a rare second send is harmless: tasks are
  idempotent).
- With ``task_always_eager`` (no broker) a message is run in process instead of sent.
"""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from functools import partial

from celery import current_app
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from .models import Message, new_task_id

logger = logging.getLogger(__name__)

#: rows locked and sent per transaction by ``dispatch``
BATCH = 200


def _setting(name: str, default):
    return getattr(settings, name, default)


def enqueue(task_name: str, *args, key: str = "", task_id: str | None = None) -> Message:
    """Record ``task_name(*args)`` in the current transaction; it is sent once the transaction commits."""
    if not task_name:
        raise ValueError("enqueue needs the task's name")
    json.dumps(args)  # a TypeError here, not in the beat: arguments must be JSON (ids, not objects)
    message = Message.objects.create(
        task_name=task_name, args=list(args), key=key[:200], task_id=task_id or new_task_id()
    )
    transaction.on_commit(partial(send, message.pk), robust=True)
    return message


def send(message_id: int) -> bool:
    """Send (or, without a broker, run) one pending message now; True when it went."""
    if _eager():
        return _run_eagerly(message_id)
    return _publish_locked(Message.objects.pending().filter(pk=message_id)) == 1


def dispatch(*, limit: int | None = None) -> int:
    """Send the due messages, oldest first, until none is left, one fails or ``limit`` went."""
    total = 0
    while limit is None or total < limit:
        if _eager():
            ids = list(Message.objects.due().values_list("pk", flat=True)[:BATCH])
            sent = sum(_run_eagerly(pk) for pk in ids)
            complete = len(ids) < BATCH
        else:
            batch = BATCH if limit is None else min(BATCH, limit - total)
            sent = _publish_locked(Message.objects.due(), batch=batch)
            complete = sent < batch
        total += sent
        if complete or not sent:
            break
    return total


def prune(*, now=None) -> int:
    """Delete messages sent more than ``OUTBOX_KEEP_DAYS`` days ago; return how many."""
    now = now or timezone.now()
    keep = timedelta(days=_setting("OUTBOX_KEEP_DAYS", 7))
    deleted, _ = Message.objects.filter(sent_at__lt=now - keep).delete()
    return deleted


def backlog(*, now=None) -> dict:
    """What waits: pending and given-up messages, and the age of the oldest pending one."""
    now = now or timezone.now()
    oldest = Message.objects.pending().order_by("created_at").values_list("created_at", flat=True).first()
    return {
        "pending": Message.objects.pending().count(),
        "failed": Message.objects.filter(failed_at__isnull=False).count(),
        "oldest_pending_seconds": round((now - oldest).total_seconds(), 1) if oldest else 0,
    }


# --- sending ----------------------------------------------------------------------------------


def _eager() -> bool:
    return bool(current_app.conf.task_always_eager)


def _retry_delay(attempts: int) -> timedelta:
    """1, 2, 4 ... seconds after each failed attempt, at most OUTBOX_RETRY_MAX_SECONDS."""
    return timedelta(seconds=min(2 ** min(attempts, 16), _setting("OUTBOX_RETRY_MAX_SECONDS", 300)))


def _connection():
    """A broker connection that gives up fast: one attempt, short socket timeouts."""
    timeout = float(_setting("OUTBOX_SEND_TIMEOUT", 1.0))
    options = {
        **(current_app.conf.broker_transport_options or {}),
        "max_retries": 0,  # kombu's ensure_connection: one attempt (default: retry for 4 s)
        "socket_connect_timeout": timeout,
        "socket_timeout": timeout,
    }
    return current_app.connection_for_write(connect_timeout=timeout, transport_options=options)


def _publish(producer, message: Message) -> None:
    current_app.send_task(
        message.task_name,
        args=message.args,
        task_id=message.task_id,
        producer=producer,
        retry=False,
        # nobody waits on these results (progress lives in the database); storing none also
        # spares the send a result-backend subscription, which retries for 19 s on a dead Redis
        ignore_result=True,
    )


def _publish_locked(messages, *, batch: int = 1) -> int:
    """Lock up to ``batch`` of ``messages``, publish them in order; record what went and what failed."""
    now = timezone.now()
    sent: list[Message] = []
    with transaction.atomic():
        rows = list(messages.select_for_update(skip_locked=True).order_by("pk")[:batch])
        if not rows:
            return 0
        failure = None
        try:
            with _connection() as connection:
                producer = current_app.amqp.Producer(connection)
                for message in rows:
                    _publish(producer, message)
                    sent.append(message)
        except Exception as error:  # any failure: keep the row, try again later, never lose it
            failure = error
        for message in sent:
            message.sent_at = now
            message.attempts += 1
            message.last_error = ""
        Message.objects.bulk_update(sent, ["sent_at", "attempts", "last_error"])
        if failure is not None:
            _record_failure(rows[len(sent)], failure, now=now)
    return len(sent)


def _record_failure(message: Message, error: Exception, *, now) -> None:
    attempts = message.attempts + 1
    logger.warning(
        "outbox: could not send %s (task id %s, attempt %s): %s: %s; it stays pending",
        message.task_name,
        message.task_id,
        attempts,
        type(error).__name__,
        error,
    )
    Message.objects.filter(pk=message.pk).update(
        attempts=attempts,
        last_error=f"{type(error).__name__}: {error}"[:2000],
        next_attempt_at=now + _retry_delay(attempts),
    )


def _task(name: str):
    try:
        return current_app.tasks[name]
    except KeyError:
        current_app.loader.import_default_modules()  # the apps' tasks modules (autodiscovery)
        return current_app.tasks[name]


def _run_eagerly(message_id: int) -> bool:
    """Without a broker: claim the message, then run its task in process (errors are recorded)."""
    now = timezone.now()
    claimed = (
        Message.objects.pending()
        .filter(pk=message_id)
        .update(sent_at=now, attempts=F("attempts") + 1, last_error="")
    )
    if not claimed:
        return False
    message = Message.objects.get(pk=message_id)
    try:
        _task(message.task_name).apply(args=message.args, task_id=message.task_id, throw=True)
    except Exception as error:
        logger.exception("outbox: %s (task id %s) failed in process", message.task_name, message.task_id)
        Message.objects.filter(pk=message_id).update(
            failed_at=timezone.now(), last_error=f"{type(error).__name__}: {error}"[:2000]
        )
    return True
