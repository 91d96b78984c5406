"""Whether the access rule lets a user make one row change — the crawler's oracle for writes.

Asked of `oap.access` (the rule), never of the admin under test: a row added must lie in the
user's scope for adding it (checked on the row as written, before the savepoint is rolled back),
a row changed or deleted must have been in their scope for that (checked on the row as it was,
after the rollback). The services add rules of their own (frozen entries, one leader); they may
refuse more than this, never allow more.
"""

from __future__ import annotations

from notifications.access import can_manage_webhooks
from notifications.models import Email, Event, Notification, Preference, Webhook, WebhookDelivery
from oap import access
from oap.choices import EntryStatus
from oap.models import ImportJob, OperationalAction, OperationalActionPlan, ResultEntry, User, YearLock
from reporting import access as reports
from reporting.models import Factsheet, FactsheetFile

from .digest import Change

#: tables kept by database triggers from the result entries (not written by any view)
DERIVED_MODULES: tuple[str, ...] = ()  # modules of models kept by the database, not by anyone
#: written in the same transaction as a state change, which is judged on its own rows
DERIVED_MODELS = (Event, Email)


def _object(change: Change):
    return change.model._base_manager.filter(pk=change.pk).first()


def _parent_of_link(change: Change, row):
    """The object a many-to-many link row belongs to (an action's CHSGs, a plan's co-drivers)."""
    for field in change.model._meta.concrete_fields:
        target = getattr(field, "related_model", None)
        if target in (OperationalAction, OperationalActionPlan):
            return target._base_manager.filter(pk=getattr(row, field.attname)).first()
    return None


def decided_before_rollback(change: Change) -> bool:
    """Added rows are judged as written; changed and deleted ones as they were."""
    return change.kind == "add"


def allowed(user, change: Change) -> bool:
    model = change.model
    if model.__module__ in DERIVED_MODULES or model in DERIVED_MODELS:
        return True  # follows the entries; the entries' own changes are judged
    row = _object(change)
    if row is None:
        return False
    if model is Notification:  # one's own, marked read or unread; never added or deleted here
        return change.kind == "change" and access.can(user, "change", row)
    if model is Preference:  # one's own settings
        return row.user_id == user.pk
    if model in (Webhook, WebhookDelivery):  # the hub's: endpoints, and the test events it sends
        return can_manage_webhooks(user)
    if model._meta.auto_created:  # a many-to-many link: a change of its owner
        parent = _parent_of_link(change, row)
        return parent is not None and access.can(user, "change", parent)
    if model in (Factsheet, FactsheetFile):
        if change.kind == "delete":
            return user.is_superuser
        return reports.can_compile(user) or reports.can_publish(user)
    if model is ImportJob:  # uploaded and confirmed by its author; deleted by whom the rule allows
        if change.kind == "delete":
            return access.can(user, "delete", row)
        return row.created_by_id == user.pk and access.role_allows(user, "add", ResultEntry)
    if model is YearLock:
        return access.can_manage_years(user)
    if model is User:
        return user.is_superuser
    if model is ResultEntry:
        if change.kind == "add":
            return row.status == EntryStatus.DRAFT and access.can_record_result(
                user, action=row.action, organisation=row.organisation
            )
        return any(access.can(user, verb, row) for verb in ("change", "submit", "validate"))
    verb = change.kind
    return access.role_allows(user, verb, model) and access.can(user, verb, row)
