"""State changes as events, written in the transaction of the change (the transactional outbox).

A service that changes what others must hear about calls `emit` inside its transaction: the event
is one outbox message (`outbox.enqueue`) naming the task that records it, so it commits or rolls
back with the change and is never lost after the commit. What happens next — who is told, by
e-mail, in the dashboard or through a partner's webhook — belongs to the app that defines the task
(`notifications.record_event`); oap only names it, and never imports that app. Without it the
message is kept, marked as given up, and nothing else changes.

Each event carries what was true at the moment of the change (the status, the value, the reason),
so that later changes never rewrite what the notification of an earlier one says.
"""

from __future__ import annotations

from django.utils import timezone

from .formats import plain

#: the task that records an event and tells whom it concerns
RECORD_EVENT_TASK = "notifications.record_event"

ENTRY_SUBMITTED = "entry.submitted"
ENTRY_VALIDATED = "entry.validated"
ENTRY_RETURNED = "entry.returned"
ACTION_CHANGED = "action.changed"
FACTSHEET_PUBLISHED = "factsheet.published"


def emit(kind: str, *, by=None, **data) -> None:
    """Write the event `kind` with `data` (ids and plain values) in the current transaction."""
    import outbox

    data = {**data, "kind": kind, "at": timezone.now().isoformat()}
    if by is not None and getattr(by, "pk", None) is not None and by.is_authenticated:
        data["actor"] = by.pk
    key = f"event:{kind}:" + ":".join(
        str(data[name]) for name in ("entry", "action", "factsheet") if name in data
    )
    outbox.enqueue(RECORD_EVENT_TASK, kind, data, key=key)


def entry_changed(kind: str, entry, *, by=None) -> None:
    """The event of a result entry's workflow step, with the entry as the step left it."""
    emit(
        kind,
        by=by,
        entry=entry.pk,
        action=entry.action_id,
        organisation=entry.organisation_id,
        result_type=entry.result_type_id,
        year=entry.year,
        half_year=entry.half_year,
        value=plain(entry.value),
        status=entry.status,
        reason=entry.return_reason,
    )


def action_changed(action, *, by=None, created: bool = False) -> None:
    emit(ACTION_CHANGED, by=by, action=action.pk, change="created" if created else "updated")
