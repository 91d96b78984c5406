"""The beat's outbox task: send what is pending (``OUTBOX_DISPATCH_SECONDS``), prune what was sent."""

from celery import shared_task


@shared_task(name="outbox.dispatch", ignore_result=True)
def dispatch_task() -> int:
    from .services import dispatch, prune

    sent = dispatch()
    prune()
    return sent
