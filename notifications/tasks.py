"""Celery tasks of the notifications app: thin, idempotent, taking ids.

`record_event` is sent through the outbox by the services of oap and reporting (`oap.events`);
its message's task id is the event's key, so a message delivered twice records one event. The
senders claim their row before each attempt (`notifications.delivery`), so a task run twice
sends once. All three acknowledge their message when done and give it back when the worker dies.
"""

from __future__ import annotations

from celery import shared_task

RELIABLE = {"acks_late": True, "reject_on_worker_lost": True, "ignore_result": True}


@shared_task(bind=True, name="notifications.record_event", **RELIABLE)
def record_event_task(self, kind: str, data: dict) -> None:
    from .services import record_event

    record_event(key=self.request.id or f"{kind}:{data.get('at')}", kind=kind, data=data)


@shared_task(name="notifications.send_email", **RELIABLE)
def send_email_task(email_id: int) -> None:
    from .delivery import send_email

    send_email(email_id)


@shared_task(name="notifications.send_webhook", **RELIABLE)
def send_webhook_task(delivery_id: int) -> None:
    from .webhooks import deliver

    deliver(delivery_id)


@shared_task(name="notifications.deliver_due", ignore_result=True)
def deliver_due_task() -> dict:
    """Beat, every NOTIFICATIONS_SWEEP_SECONDS: due e-mails and webhooks, retries, dead senders' rows."""
    from .delivery import deliver_due

    return deliver_due()


@shared_task(name="notifications.send_reminders", ignore_result=True)
def send_reminders_task() -> int:
    """Beat, hourly: deadline reminders (each once per user, period and kind)."""
    from .schedule import send_reminders

    return send_reminders()


@shared_task(name="notifications.send_weekly_digests", ignore_result=True)
def send_weekly_digests_task() -> int:
    """Beat, hourly on the digest's weekday from its hour on: the weekly digest (once per user and week)."""
    from .schedule import send_weekly_digests

    return send_weekly_digests()
