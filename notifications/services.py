"""Recording events and telling whom they concern: notifications, their e-mails, webhook deliveries.

`record_event` runs once per event (its outbox message's task id is the event's unique key): in
one transaction it records the event, makes a notification for each user it concerns (`notify`,
once per user, kind and key), puts each into the e-mail waiting for that user, and writes a
delivery for each webhook whose organisation may see it — each sent later by its own task. A
worker that dies before the commit leaves nothing, and the redelivered message does it all.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from oap import access, events
from oap.backends import OrganisationReader
from oap.choices import ParticipationRole, UserRole
from oap.models import OperationalAction, Organisation, Participation, ResultEntry, User
from reporting.models import Factsheet

from .access import notification_scope
from .choices import KIND_OF_EVENT, Batch, DeliveryStatus, Kind, Mode
from .models import Email, Event, Notification, Preference, Webhook, WebhookDelivery
from .visibility import event_visible

SEND_EMAIL_TASK = "notifications.send_email"
SEND_WEBHOOK_TASK = "notifications.send_webhook"


# --- events -----------------------------------------------------------------------------------


def _existing(model, pk):
    """The id, when the row still exists (an entry may be deleted before its event is recorded)."""
    return pk if pk is not None and model._default_manager.filter(pk=pk).exists() else None


def record_event(*, key: str, kind: str, data: dict) -> Event | None:
    """Record the event `key` once and make what it causes; None when it was recorded before."""
    with transaction.atomic():
        event, created = Event.objects.get_or_create(
            key=key,
            defaults={
                "kind": kind,
                "occurred_at": parse_datetime(data.get("at", "")) or timezone.now(),
                "actor_id": _existing(User, data.get("actor")),
                "action_id": _existing(OperationalAction, data.get("action")),
                "entry_id": _existing(ResultEntry, data.get("entry")),
                "organisation_id": _existing(Organisation, data.get("organisation")),
                "factsheet_id": _existing(Factsheet, data.get("factsheet")),
                "data": data,
            },
        )
        if not created:
            return None
        kind_of_notification = KIND_OF_EVENT.get(kind)
        if kind_of_notification is not None:
            for user in recipients(event):
                notify(user=user, kind=kind_of_notification, key=f"event:{event.pk}", event=event)
        for webhook in webhooks_for(event):
            delivery = WebhookDelivery.objects.create(webhook=webhook, event=event)
            _enqueue(SEND_WEBHOOK_TASK, delivery.pk, key=f"notifications.webhookdelivery:{delivery.pk}")
    return event


def recipients(event: Event) -> list[User]:
    """Whom an entry's event concerns, as the access rule says now: a submission, the users who may
    validate it (never its author); a validation or a return, the reporting organisation's
    coordinators who see the entry."""
    entry = event.entry
    if entry is None:
        return []
    if event.kind == events.ENTRY_SUBMITTED:
        action = entry.action
        reviewers = set(
            Participation.objects.filter(action=action, role=ParticipationRole.LEADER).values_list(
                "organisation_id", flat=True
            )
        )
        reviewers |= {action.plan.driver_id, *action.plan.co_drivers.values_list("pk", flat=True)}
        candidates = User.objects.filter(
            Q(organisation_id__in=reviewers) | Q(organisation__is_hub=True) | Q(is_superuser=True),
            is_active=True,
        ).exclude(pk=event.actor_id)
        return [user for user in candidates.order_by("pk") if access.can(user, "validate", entry)]
    candidates = User.objects.filter(
        organisation_id=entry.organisation_id, role=UserRole.COORDINATOR, is_active=True
    ).order_by("pk")
    return [user for user in candidates if access.can(user, "view", entry)]


def webhooks_for(event: Event):
    """The active webhooks subscribed to the event's kind whose organisation may see it."""
    for webhook in Webhook.objects.filter(active=True).select_related("organisation").order_by("pk"):
        if event.kind in webhook.events and event_visible(OrganisationReader(webhook.organisation), event):
            yield webhook


def _enqueue(task: str, *args, key: str) -> None:
    import outbox

    outbox.enqueue(task, *args, key=key)


# --- notifications and their e-mails ----------------------------------------------------------


def mode_of(user, kind: str) -> str:
    found = Preference.objects.filter(user=user, kind=kind).values_list("mode", flat=True).first()
    return found or Mode.IMMEDIATE


def notify(*, user, kind: str, key: str, event=None, period=None, data=None, now=None) -> Notification | None:
    """Tell `user` once (per kind and key), as they chose: now, in the daily digest, or not at all.

    Returns the new notification; None when the user switched this kind off or was told before.
    """
    mode = mode_of(user, kind)
    if mode == Mode.OFF:
        return None
    now = now or timezone.now()
    try:
        with transaction.atomic():
            notification = Notification.objects.create(
                user=user, kind=kind, key=key, event=event, period=period, data=data or {}, created_at=now
            )
    except IntegrityError:  # told before: the unique constraint (user, kind, key)
        return None
    if user.email:
        batch = Batch.DAILY if mode == Mode.DAILY else Batch.IMMEDIATE
        notification.email = _waiting_email(user, batch, now)
        notification.save(update_fields=["email"])
    return notification


def due_time(batch: str, now: datetime.datetime) -> datetime.datetime:
    """When an e-mail begun now goes: after the batching window, or at the next digest hour."""
    if batch == Batch.IMMEDIATE:
        return now + datetime.timedelta(seconds=settings.NOTIFICATIONS_BATCH_SECONDS)
    local = timezone.localtime(now)
    digest = local.replace(hour=settings.NOTIFICATIONS_DIGEST_HOUR, minute=0, second=0, microsecond=0)
    return digest if digest > local else digest + datetime.timedelta(days=1)


def _waiting_email(user, batch: str, now) -> Email:
    """The user's e-mail of `batch` not yet tried, locked (a sender claims it only after this
    transaction); a new one when there is none, sent right away when it is due at once."""
    waiting = Email.objects.select_for_update().filter(
        user=user, batch=batch, status=DeliveryStatus.PENDING, attempts=0
    )
    email = waiting.first()
    if email is not None:
        return email
    try:
        with transaction.atomic():
            email = Email.objects.create(user=user, batch=batch, to=user.email, due_at=due_time(batch, now))
    except IntegrityError:  # another transaction began it meanwhile
        return waiting.get()
    if email.due_at <= now:
        _enqueue(SEND_EMAIL_TASK, email.pk, key=f"notifications.email:{email.pk}")
    return email


def notifications_of(user):
    """The user's own notifications (nobody else's: `notifications.access.notification_scope`)."""
    return Notification.objects.filter(notification_scope(user))


def mark_read(*, user, ids=None, read: bool = True) -> int:
    """Mark the user's notifications (`ids`, or all) read or unread; how many changed."""
    notifications = notifications_of(user)
    if ids is not None:
        notifications = notifications.filter(pk__in=list(ids))
    if read:
        return notifications.filter(read_at__isnull=True).update(read_at=timezone.now())
    return notifications.filter(read_at__isnull=False).update(read_at=None)


def modes_of(user) -> dict[str, str]:
    chosen = dict(Preference.objects.filter(user=user).values_list("kind", "mode"))
    return {kind: chosen.get(kind, Mode.IMMEDIATE) for kind in Kind.values}


@transaction.atomic
def set_modes(*, user, modes: dict[str, str]) -> None:
    """Keep the user's choice per kind (immediately, daily digest, off)."""
    for kind, mode in modes.items():
        if kind not in Kind.values or mode not in Mode.values:
            raise ValueError(f"unknown kind {kind!r} or mode {mode!r}")
        Preference.objects.update_or_create(user=user, kind=kind, defaults={"mode": mode})
