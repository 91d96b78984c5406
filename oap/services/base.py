"""What every service shares: its refusals, and saving with the acting user in the audit trail.

The services refuse with
- `Hidden` (an `ObjectDoesNotExist`) when the user may not even see the object — a 404;
- `Refused` (a `PermissionDenied`, naming the field when there is one) when they see it but may
  not do this — a 403;
- `Conflict` when the row's state (or its locked year, or an existing row) forbids the change
  now — a 409, with the existing row when a duplicate is the reason;
- `ValidationError` naming the field and the rule when the data breaks a rule — a 400.
"""

from __future__ import annotations

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError

from .. import access


class Hidden(ObjectDoesNotExist):
    """The object is not visible to the user: answer as if it did not exist."""


class Refused(PermissionDenied):
    """Not allowed, with the field the refusal is about (for errors that name the field)."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.field = field


class Conflict(ValidationError):
    """The row's state, its locked year or an existing row forbids this now: a conflict, not bad input.

    `existing` is the row that already holds this place (a duplicate), when that is the reason.
    """

    def __init__(self, message, *, existing=None, **kwargs):
        super().__init__(message, **kwargs)
        self.existing = existing


def acting(by):
    """The user to record as the author of a write (None for system writes and anonymous)."""
    return by if by is not None and by.is_authenticated else None


def save(instance, by, **kwargs) -> None:
    """Save and name the acting user in the history record."""
    if acting(by) is not None:
        instance._history_user = by
    instance.save(**kwargs)


def require(user, action: str, obj, message: str) -> None:
    """Hidden unless `user` sees `obj`; Refused unless they may `action` it. No check for system writes."""
    if user is None:
        return
    if not access.can(user, "view", obj):
        raise Hidden(f"{obj._meta.verbose_name.capitalize()} not found.")
    if not access.can(user, action, obj):
        raise Refused(message)
