"""Sending: e-mails through Django's e-mail backend, webhooks over HTTPS; one claim per attempt.

Every attempt on an `Email` or a `WebhookDelivery` goes:

1. **claim** — one UPDATE, committed: `pending` (and due) → `sending`, attempts + 1, claimed now.
   Of two workers only one claims; a claim older than NOTIFICATIONS_CLAIM_SECONDS (longer than
   any send may take: the backends' timeouts) belongs to a sender that died, and may be taken over.
2. **check and render** — what the recipient may see now (`oap.access`); nothing → `withheld`.
3. **send** — SMTP or the POST, with an id that stays the same on every attempt (the e-mail's
   Message-ID, the webhook's X-Empact-Delivery).
4. **record** — `sent`; or, after a failure, `pending` again with a back-off (30 s, 1 min,
   2 min ... NOTIFICATIONS_RETRY_MAX_SECONDS), or `failed` after NOTIFICATIONS_MAX_ATTEMPTS.

A worker killed in 2 or 3 leaves the row `sending`: it is sent again once the claim is stale, so
nothing is lost. Killed before the receiver accepted (SMTP's reply to the message, the HTTP
response), the receiver has nothing and gets it once. Killed in the instant after the receiver
accepted and before step 4 commits, the receiver gets it a second time with the same id: at
least once there, and once for receivers that keep the ids they have seen.
"""

from __future__ import annotations

import datetime
import logging
import smtplib

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db.models import F
from django.utils import timezone

from .choices import Batch, DeliveryStatus
from .models import Email, WebhookDelivery
from .rendering import email_content, render

logger = logging.getLogger(__name__)

#: due rows attempted per sweep (each bounded by the backend's timeout)
SWEEP_BATCH = 100


def claim(model, pk: int, now) -> bool:
    """Step 1: take the row for this attempt (committed at once, outside any transaction)."""
    due = model.objects.due(now, settings.NOTIFICATIONS_CLAIM_SECONDS).filter(pk=pk)
    return bool(due.update(status=DeliveryStatus.SENDING, claimed_at=now, attempts=F("attempts") + 1))


def retry_delay(attempts: int) -> datetime.timedelta:
    base = settings.NOTIFICATIONS_RETRY_SECONDS
    return datetime.timedelta(
        seconds=min(base * 2 ** max(attempts - 1, 0), settings.NOTIFICATIONS_RETRY_MAX_SECONDS)
    )


def record_failure(model, pk: int, error: str, *, now, final: bool = False, **fields) -> str:
    """Step 4 after a failure: back to pending with a back-off, or given up."""
    row = model.objects.get(pk=pk)
    gave_up = final or row.attempts >= settings.NOTIFICATIONS_MAX_ATTEMPTS
    status = DeliveryStatus.FAILED if gave_up else DeliveryStatus.PENDING
    logger.warning(
        "notifications: %s %s attempt %s failed (%s): %s", model.__name__, pk, row.attempts, status, error
    )
    model.objects.filter(pk=pk, status=DeliveryStatus.SENDING).update(
        status=status,
        due_at=now + retry_delay(row.attempts),
        last_error=error[:2000],
        claimed_at=None,
        **fields,
    )
    return status


def message_id(email: Email) -> str:
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2].strip("> ") or "empact-tracker"
    return f"<empact-email-{email.pk}@{domain}>"


def send_email(email_id: int, *, now=None) -> str | None:
    """One attempt at one e-mail; its status afterwards (None when another sender has it)."""
    now = now or timezone.now()
    if not claim(Email, email_id, now):
        return None
    email = Email.objects.select_related("user").get(pk=email_id)
    user = email.user
    notifications = email.notifications.select_related("event", "period").order_by("created_at", "pk")
    items = [item for item in render(user, notifications) if item.shown]
    if not items or not user.is_active or not user.email:
        Email.objects.filter(pk=email_id).update(status=DeliveryStatus.WITHHELD, claimed_at=None)
        return DeliveryStatus.WITHHELD
    subject, text, html = email_content(user, items, digest=email.batch == Batch.DAILY)
    message = EmailMultiAlternatives(
        subject, text, settings.DEFAULT_FROM_EMAIL, [user.email], headers={"Message-ID": message_id(email)}
    )
    message.attach_alternative(html, "text/html")
    try:
        with get_connection(timeout=settings.EMAIL_TIMEOUT) as connection:
            connection.send_messages([message])
    except smtplib.SMTPRecipientsRefused as error:  # the address itself is refused: no retry helps
        return record_failure(Email, email_id, f"{type(error).__name__}: {error}", now=now, final=True)
    except (smtplib.SMTPException, OSError) as error:
        return record_failure(Email, email_id, f"{type(error).__name__}: {error}", now=now)
    Email.objects.filter(pk=email_id, status=DeliveryStatus.SENDING).update(
        status=DeliveryStatus.SENT,
        sent_at=timezone.now(),
        to=user.email,
        subject=subject,
        message_id=message_id(email),
        last_error="",
    )
    return DeliveryStatus.SENT


def deliver_due(*, now=None, limit: int = SWEEP_BATCH) -> dict[str, int]:
    """The beat's sweep: every due e-mail and webhook delivery (new, retried, or of a dead sender)."""
    from .webhooks import deliver

    now = now or timezone.now()
    claim_seconds = settings.NOTIFICATIONS_CLAIM_SECONDS
    done = {"emails": 0, "webhooks": 0}
    for pk in (
        Email.objects.due(now, claim_seconds).order_by("due_at", "pk").values_list("pk", flat=True)[:limit]
    ):
        done["emails"] += send_email(pk, now=now) is not None
    due = WebhookDelivery.objects.due(now, claim_seconds).order_by("due_at", "pk")
    for pk in due.values_list("pk", flat=True)[:limit]:
        done["webhooks"] += deliver(pk, now=now) is not None
    return done
