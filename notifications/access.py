"""Who reads which notifications and who manages webhooks — built on the primitives of `oap.access`.

- Notifications and notification settings are each user's own: nobody else reads them, not even
  superusers or the hub (what someone was told is theirs).
- Webhooks (endpoints, secrets) and their delivery logs are the hub's: its members whose role holds
  `notifications.change_webhook` (analysts), and superusers.

What a notification or a webhook may *say* is the access rule's answer for its recipient, asked
at each delivery (`visibility`). `notification_scope` and `webhook_scope` are registered with
`oap.access` (apps.py), so querysets, `access.can` and `user.has_perm(perm, obj)` agree.
"""

from __future__ import annotations

from django.db.models import Q

from oap import access


def _active(user) -> bool:
    return user is not None and user.is_authenticated and user.is_active and user.pk is not None


def notification_scope(user, action: str = "view") -> Q:
    """A user's own notifications, to read (and mark read): nobody else's."""
    if not _active(user) or action not in ("view", "change"):
        return access.NOTHING
    return Q(user_id=user.pk)


def can_manage_webhooks(user) -> bool:
    return _active(user) and access.sees_everything(user) and user.has_perm("notifications.change_webhook")


def webhook_scope(user, action: str = "view") -> Q:
    """Webhooks and their deliveries: every one for those who manage them, none for anyone else."""
    return access.EVERYTHING if can_manage_webhooks(user) else access.NOTHING
