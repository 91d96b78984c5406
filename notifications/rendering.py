"""Notifications in words, for one recipient, at the moment they are shown or sent.

Each notification is rendered from what it refers to (an event's entry, a period's actions, a
week's plans) *as the recipient may see it now* (`visibility.Seen`): a row they may not see is
never named — the notification then says only that it is about something no longer shown to
them. The same rendering feeds the admin's list, the dashboard and the e-mails.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from oap.formats import number
from oap.models import period_name

from .choices import Kind
from .visibility import Seen

HIDDEN = "A notification about something you may no longer see."
VERBS = {Kind.SUBMITTED: "submitted", Kind.VALIDATED: "validated", Kind.RETURNED: "returned"}


@dataclass
class Item:
    """One notification as its recipient reads it."""

    id: int
    kind: str
    subject: str
    lines: list[str] = field(default_factory=list)
    url: str = ""
    created_at: object = None
    read: bool = False
    shown: bool = True  # False: it names nothing its recipient may see now


def absolute(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path if path.startswith("/") else path


def _completeness_url(year: int, half_year, **query) -> str:
    query = {"year": year, **({"half_year": half_year} if half_year else {}), **query}
    return f"{reverse('reporting:completeness')}?{urlencode(query)}"


def _entry_item(item: Item, notification, seen: Seen) -> None:
    data = notification.event.data
    entry = seen.entry(notification.event)
    if entry is None:
        item.shown = False
        return
    period = period_name(data["year"], data.get("half_year"))
    value = number(data["value"], entry.result_type.unit)
    verb = VERBS[notification.kind]
    item.subject = (
        f"{entry.action.code}: {entry.organisation.code}'s {entry.result_type.name} for {period} {verb}"
    )
    item.lines = [
        f"{entry.action.code} — {entry.action.title}",
        f"{entry.organisation.name}: {entry.result_type.name}, {period}: {value} ({verb}).",
    ]
    if notification.kind == Kind.RETURNED and data.get("reason"):
        item.lines.append(f"Reason: {data['reason']}")
    if notification.kind == Kind.SUBMITTED:
        item.lines.append("It waits for you to validate or return it.")
    item.url = reverse("admin:oap_resultentry_change", args=[entry.pk])


def _reminder_item(item: Item, notification, seen: Seen) -> None:
    period = notification.period
    actions = [seen.actions[pk] for pk in notification.data.get("actions", []) if pk in seen.actions]
    if period is None or not actions:
        item.shown = False
        return
    when = "are due on" if notification.kind == Kind.DUE_SOON else "were due on"
    item.subject = f"Results of {period.name} {when} {period.results_due:%d %B %Y}"
    count = len(actions)
    item.lines = [
        f"Your organisation has not submitted all its figures for {count} action{'s' * (count != 1)}:",
        *(f"• {action.code} — {action.title}" for action in sorted(actions, key=lambda a: a.code)),
        f"Validation closes on {period.validation_closes:%d %B %Y}.",
    ]
    item.url = _completeness_url(period.year, period.half_year, organisation=notification.data.get("org", ""))


def _weekly_item(item: Item, notification, seen: Seen) -> None:
    item.subject = f"Weekly reporting digest, {notification.key.removeprefix('week:')}"
    lines = []
    for summary in notification.data.get("periods", []):
        plans = [row for row in summary["plans"] if row["plan"] in seen.plans]
        if not plans:
            continue
        lines.append(f"{summary['name']} (results due {summary['due']}):")
        for row in plans:
            rate = (
                f"{number(round(100 * row['delivered'] / row['expected'], 1))} %" if row["expected"] else "–"
            )
            lines.append(
                f"• {seen.plans[row['plan']].code}: {row['delivered']} of {row['expected']} expected reports "
                f"submitted or validated ({rate}); {row['none']} with nothing reported."
            )
        if not item.url:
            item.url = _completeness_url(summary["year"], summary.get("half_year"))
    waiting = notification.data.get("to_validate", 0)
    if waiting:
        lines.append(f"{number(waiting)} submitted figures wait for your validation.")
    if not lines:
        item.shown = False
    item.lines = lines


RENDERERS = {
    Kind.SUBMITTED: _entry_item,
    Kind.VALIDATED: _entry_item,
    Kind.RETURNED: _entry_item,
    Kind.DUE_SOON: _reminder_item,
    Kind.OVERDUE: _reminder_item,
    Kind.WEEKLY: _weekly_item,
}


def render(user, notifications) -> list[Item]:
    """The notifications (of `user`) in words, naming only what `user` may see now."""
    notifications = list(notifications)
    seen = Seen(user, notifications)
    items = []
    for notification in notifications:
        item = Item(
            id=notification.pk,
            kind=notification.kind,
            subject="",
            created_at=notification.created_at,
            read=notification.read_at is not None,
        )
        RENDERERS[notification.kind](item, notification, seen)
        if not item.shown:
            item.subject, item.lines, item.url = HIDDEN, [], ""
        items.append(item)
    return items


def email_content(user, items: list[Item], *, digest: bool) -> tuple[str, str, str]:
    """(subject, plain text, HTML) of an e-mail holding `items` (each one its recipient may see)."""
    if len(items) == 1 and not digest:
        subject = f"EMPACT Tracker: {items[0].subject}"
    else:
        label = "daily digest" if digest else "notifications"
        subject = f"EMPACT Tracker {label}: {len(items)} notification{'s' * (len(items) != 1)}"
    context = {
        "user": user,
        "items": [{**vars(item), "url": absolute(item.url) if item.url else ""} for item in items],
        "digest": digest,
        "settings_url": absolute(reverse("admin:notifications_notification_settings")),
        "list_url": absolute(reverse("admin:notifications_notification_changelist")),
        "now": timezone.now(),
    }
    text = render_to_string("notifications/email/message.txt", context)
    html = render_to_string("notifications/email/message.html", context)
    return subject[:300], text, html
