"""Events, the notifications they make, the e-mails that carry them, and partners' webhooks.

Delivery state lives here, per recipient: a `Notification` exists once per user, kind and key
(an event, a period's reminder, a week's digest — unique constraints); an `Email` and a
`WebhookDelivery` go from pending through sending to sent (or given up), so a worker that dies
leaves a row that says how far it got (see `notifications` for what is guaranteed when).
"""

from __future__ import annotations

import datetime
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .choices import WEBHOOK_EVENTS, Batch, DeliveryStatus, EventKind, Kind, Mode


def _record_link(to: str) -> models.ForeignKey:
    """An event's link to a domain row: no database constraint, null once the row is deleted."""
    return models.ForeignKey(
        to, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", db_constraint=False
    )


class Event(models.Model):
    """A state change others hear about, recorded once from its outbox message.

    A record of what happened: its links to the domain's rows hold no database constraint, so it
    never stands in the way of their maintenance (a row deleted sets the link to null through the
    ORM; a link to a row gone otherwise is read as nothing left to tell).
    """

    key = models.CharField(_("key"), max_length=64, unique=True, help_text=_("The outbox message's task id."))
    kind = models.CharField(_("kind"), max_length=32, choices=EventKind.choices)
    occurred_at = models.DateTimeField(_("occurred"))
    recorded_at = models.DateTimeField(_("recorded"), auto_now_add=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    action = _record_link("oap.OperationalAction")
    entry = _record_link("oap.ResultEntry")
    organisation = _record_link("oap.Organisation")
    factsheet = _record_link("reporting.Factsheet")
    data = models.JSONField(_("data"), default=dict, blank=True, help_text=_("What was true at the change."))

    class Meta:
        ordering = ["-occurred_at", "-pk"]
        verbose_name = _("event")
        verbose_name_plural = _("events")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.occurred_at:%Y-%m-%d %H:%M})"


class Preference(models.Model):
    """How a user wants to hear of one kind of notification (immediately when not set)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    mode = models.CharField(_("mode"), max_length=16, choices=Mode.choices, default=Mode.IMMEDIATE)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="%(app_label)s_%(class)s_one_per_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.user}: {self.kind} {self.mode}"


class DeliveryQuerySet(models.QuerySet):
    def due(self, now, claim_seconds: float):
        """Pending and due, or claimed by a sender longer ago than a send can take (it died)."""
        stale = now - datetime.timedelta(seconds=claim_seconds)
        return self.filter(
            Q(status=DeliveryStatus.PENDING, due_at__lte=now)
            | Q(status=DeliveryStatus.SENDING, claimed_at__lt=stale)
        )


class Delivery(models.Model):
    """Where one delivery stands: its attempts, the claim of the sender at work, the outcome."""

    status = models.CharField(
        _("status"), max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    due_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    claimed_at = models.DateTimeField(_("claimed"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = DeliveryQuerySet.as_manager()

    class Meta:
        abstract = True


class Email(Delivery):
    """One e-mail to one user, holding the notifications made for them while it waited.

    New notifications join the user's e-mail of their batch not yet tried (one at most: the
    constraint); once an attempt was made, it keeps what it holds.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    batch = models.CharField(_("batch"), max_length=16, choices=Batch.choices)
    to = models.EmailField(_("to"), blank=True)
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    message_id = models.CharField(_("Message-ID"), max_length=200, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("e-mail")
        verbose_name_plural = _("e-mails")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "batch"],
                condition=Q(status=DeliveryStatus.PENDING, attempts=0),
                name="%(app_label)s_%(class)s_one_waiting",
            ),
        ]
        indexes = [models.Index(fields=["status", "due_at"], name="notifications_email_due")]

    def __str__(self) -> str:
        return f"e-mail to {self.user} ({self.get_status_display()})"


class NotificationQuerySet(models.QuerySet):
    def unread(self):
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    """What one user is told: of an event, a deadline, a week's reporting. Once per user, kind and key."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    key = models.CharField(
        _("key"), max_length=64, help_text=_("event:<id>, period:<id> or week:<year-Www>.")
    )
    event = models.ForeignKey(
        Event, on_delete=models.CASCADE, null=True, blank=True, related_name="notifications"
    )
    period = models.ForeignKey(
        "oap.ReportingPeriod", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    data = models.JSONField(_("data"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now, db_index=True)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)
    email = models.ForeignKey(
        Email, on_delete=models.SET_NULL, null=True, blank=True, related_name="notifications"
    )

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        constraints = [
            models.UniqueConstraint(fields=["user", "kind", "key"], name="%(app_label)s_%(class)s_once"),
        ]
        indexes = [models.Index(fields=["user", "read_at"], name="notifications_unread")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for {self.user}"


def _all_events() -> list[str]:
    return [str(kind) for kind in WEBHOOK_EVENTS]


class Webhook(models.Model):
    """An organisation's system to which the events it may see are POSTed, signed with `secret`."""

    organisation = models.ForeignKey(
        "oap.Organisation", on_delete=models.PROTECT, related_name="webhooks", verbose_name=_("organisation")
    )
    url = models.URLField(_("endpoint"), max_length=500, help_text=_("An https:// address of a public host."))
    secret = models.CharField(
        _("secret"),
        max_length=200,
        help_text=_("Shared with the receiver, which checks each request's signature with it."),
    )
    events = models.JSONField(_("events"), default=_all_events)
    active = models.BooleanField(_("active"), default=True)
    description = models.CharField(_("description"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    history = HistoricalRecords(excluded_fields=["secret"])

    class Meta:
        ordering = ["organisation__code", "pk"]
        verbose_name = _("webhook")
        verbose_name_plural = _("webhooks")

    def __str__(self) -> str:
        return f"{self.organisation.code}: {self.url}"


class WebhookDelivery(Delivery):
    """One event POSTed (or to be) to one webhook: the same delivery id on every attempt."""

    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="webhook_deliveries")
    uuid = models.UUIDField(_("delivery id"), default=uuid.uuid4, unique=True, editable=False)
    response_status = models.PositiveSmallIntegerField(_("response status"), null=True, blank=True)
    response_body = models.TextField(_("response (start)"), blank=True)
    request_body = models.TextField(_("request body"), blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        constraints = [
            models.UniqueConstraint(fields=["webhook", "event"], name="%(app_label)s_%(class)s_once"),
        ]
        indexes = [models.Index(fields=["status", "due_at"], name="notifications_webhook_due")]

    def __str__(self) -> str:
        return f"{self.event.get_kind_display()} → {self.webhook} ({self.get_status_display()})"
