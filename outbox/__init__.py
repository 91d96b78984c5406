"""A transactional outbox: background work recorded with the request, sent when the broker answers.

``outbox.enqueue("reporting.compile_factsheet", factsheet.pk)`` writes one row in the caller's
transaction. When that transaction commits, the row is sent to the broker at once, with a short
timeout; if the broker does not answer, the row stays pending and the beat task
``outbox.dispatch`` (or ``manage.py outbox_dispatch``) sends it later. A rolled-back request
leaves no message; a committed one is never lost. Without a broker (tasks run eagerly, the
embedded default) the task runs in process right after the commit.

A message may be sent twice (a process dies after publishing and before recording it, two
dispatchers race on SQLite): every task sent through the outbox must be idempotent.
"""


def enqueue(task_name: str, *args, key: str = "", task_id: str | None = None):
    """Record the task ``task_name(*args)`` in the current transaction; send it after the commit."""
    from .services import enqueue as _enqueue

    return _enqueue(task_name, *args, key=key, task_id=task_id)
