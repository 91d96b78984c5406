"""What a notification is about, how each user wants to hear of it, and where a delivery stands."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from oap import events


class Kind(models.TextChoices):
    """The kinds of notification a user chooses a mode for."""

    SUBMITTED = "submitted", _("Figures submitted for you to validate")
    VALIDATED = "validated", _("Your organisation's figures validated")
    RETURNED = "returned", _("Your organisation's figures returned, with the reason")
    DUE_SOON = "due_soon", _("Results due soon, and your organisation still owes figures")
    OVERDUE = "overdue", _("Results overdue, and your organisation still owes figures")
    WEEKLY = "weekly", _("Weekly digest of your plans' reporting (drivers and the hub)")


#: the user notification each event makes (events without one go to webhooks only)
KIND_OF_EVENT = {
    events.ENTRY_SUBMITTED: Kind.SUBMITTED,
    events.ENTRY_VALIDATED: Kind.VALIDATED,
    events.ENTRY_RETURNED: Kind.RETURNED,
}


class Mode(models.TextChoices):
    IMMEDIATE = "immediate", _("Immediately")
    DAILY = "daily", _("In a daily digest")
    OFF = "off", _("Off")


class EventKind(models.TextChoices):
    SUBMITTED = events.ENTRY_SUBMITTED, _("Entry submitted")
    VALIDATED = events.ENTRY_VALIDATED, _("Entry validated")
    RETURNED = events.ENTRY_RETURNED, _("Entry returned")
    ACTION_CHANGED = events.ACTION_CHANGED, _("Action created or changed")
    FACTSHEET_PUBLISHED = events.FACTSHEET_PUBLISHED, _("Factsheet published")
    PING = "ping", _("Test event")


#: the events a webhook may subscribe to: those its organisation may see (checked per event)
WEBHOOK_EVENTS = (
    EventKind.VALIDATED,
    EventKind.RETURNED,
    EventKind.ACTION_CHANGED,
    EventKind.FACTSHEET_PUBLISHED,
)


class Batch(models.TextChoices):
    """An e-mail holds the notifications of one user made while it waited to be sent."""

    IMMEDIATE = "immediate", _("Immediate")
    DAILY = "daily", _("Daily digest")


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Given up")
    WITHHELD = "withheld", _("Withheld (nothing the recipient may see)")
