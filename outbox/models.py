"""One row per piece of background work to hand to the broker (see the package docstring)."""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def new_task_id() -> str:
    return str(uuid.uuid4())


class MessageQuerySet(models.QuerySet):
    def pending(self):
        """Not sent yet and not given up."""
        return self.filter(sent_at__isnull=True, failed_at__isnull=True)

    def due(self, now=None):
        """Pending, and its next attempt is now or past."""
        return self.pending().filter(next_attempt_at__lte=now or timezone.now())


class Message(models.Model):
    """A task to send: its name, its JSON arguments, and how sending it went."""

    task_name = models.CharField(_("task"), max_length=200)
    args = models.JSONField(_("arguments"), default=list, blank=True)
    task_id = models.CharField(
        _("task id"),
        max_length=64,
        unique=True,
        default=new_task_id,
        help_text=_("The Celery task id it is sent with (the same on every attempt)."),
    )
    key = models.CharField(
        _("key"),
        max_length=200,
        blank=True,
        db_index=True,
        help_text=_("What the work is about, e.g. reporting.factsheet:12."),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True, db_index=True)
    failed_at = models.DateTimeField(
        _("given up"), null=True, blank=True, help_text=_("Ran in process and failed, or unknown task.")
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)

    objects = MessageQuerySet.as_manager()

    class Meta:
        ordering = ["pk"]
        verbose_name = _("outbox message")
        verbose_name_plural = _("outbox messages")
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(sent_at__isnull=True, failed_at__isnull=True),
                name="outbox_message_pending",
            )
        ]

    def __str__(self) -> str:
        return f"{self.task_name}{tuple(self.args)!r} [{self.state}]"

    @property
    def state(self) -> str:
        if self.failed_at:
            return "failed"
        if self.sent_at:
            return "sent"
        return "pending"
