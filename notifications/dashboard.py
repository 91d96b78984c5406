"""The notifications panel of the admin dashboard: the user's unread notifications, counted."""

from __future__ import annotations

from django.urls import reverse

from . import services
from .rendering import render

LATEST = 5


def panels(request) -> list[dict]:
    user = request.user
    if not (user.is_active and user.is_staff):
        return []
    notifications = services.notifications_of(user).select_related("event", "period")
    unread = notifications.unread()
    count = unread.count()
    latest = render(user, unread[:LATEST])
    return [
        {
            "id": "notifications",
            "title": "Unread notifications",
            "count": count,
            "items": [
                {
                    "label": item.subject,
                    "url": reverse("admin:notifications_notification_change", args=[item.id]),
                    "note": f"{item.created_at:%d %b %Y %H:%M}",
                }
                for item in latest
            ],
            "link": {
                "url": reverse("admin:notifications_notification_changelist") + "?read=no",
                "label": "Read them all",
            },
            "empty": "Nothing new: submissions to validate, validations, returns and deadline reminders appear here.",
            "empty_link": {
                "url": reverse("admin:notifications_notification_settings"),
                "label": "Choose which notifications you receive",
            },
        }
    ]
