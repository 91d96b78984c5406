"""What a recipient may be told of: asked of `oap.access` for each recipient, at each delivery.

A recipient is a user or, for a webhook, its organisation (`oap.backends.OrganisationReader`). Nothing
here decides visibility: it asks the access rule about the rows an event or a notification names.
"""

from __future__ import annotations

from oap import access, events
from oap.choices import EntryStatus
from oap.models import OperationalAction, OperationalActionPlan, ResultEntry
from reporting.models import Factsheet


def event_visible(reader, event) -> bool:
    """Whether `reader` may see what `event` is about (the entry, the action, the factsheet)."""
    if event.kind == "ping":
        return True
    if event.kind.startswith("entry."):
        entries = access.restrict(ResultEntry.objects.filter(pk=event.entry_id), reader)
        if _unvalidated(event):  # a figure not validated then, and its return reason
            entries = entries.filter(access.unvalidated_visible_q(reader))
        return event.entry_id is not None and entries.exists()
    if event.kind == events.FACTSHEET_PUBLISHED:
        factsheets = Factsheet.objects.visible_to(reader).filter(pk=event.factsheet_id)
        return event.factsheet_id is not None and factsheets.exists()
    if event.kind == events.ACTION_CHANGED:
        actions = OperationalAction.objects.filter(pk=event.action_id)
        return event.action_id is not None and access.restrict(actions, reader).exists()
    return False


def _unvalidated(event) -> bool:
    """The event is about a figure not validated at the time (submitted, returned): only those who
    may see such figures — its organisation, its reviewers, the hub — are told of it, even once the
    figure is validated and visible to more."""
    return event.data.get("status") != EntryStatus.VALIDATED


class Seen:
    """The rows a batch of notifications names that `user` may see now: four queries at most."""

    def __init__(self, user, notifications):
        entry_ids, open_ids, action_ids, plan_ids = set(), set(), set(), set()
        for notification in notifications:
            event = notification.event if notification.event_id is not None else None
            if event is not None and event.entry_id is not None:
                (open_ids if _unvalidated(event) else entry_ids).add(event.entry_id)
            action_ids.update(notification.data.get("actions", []))
            plan_ids.update(row["plan"] for p in notification.data.get("periods", []) for row in p["plans"])
        related = ("action", "organisation", "result_type")
        self.entries = self._visible(user, ResultEntry, entry_ids, related)
        unvalidated = access.unvalidated_visible_q(user) if open_ids else None
        self.open_entries = self._visible(user, ResultEntry, open_ids, related, also=unvalidated)
        self.actions = self._visible(user, OperationalAction, action_ids, ("plan",))
        self.plans = self._visible(user, OperationalActionPlan, plan_ids, ())

    def entry(self, event):
        """The event's entry if the user may be told of it now, else None."""
        return (self.open_entries if _unvalidated(event) else self.entries).get(event.entry_id)

    @staticmethod
    def _visible(user, model, ids, related, also=None) -> dict:
        if not ids:
            return {}
        rows = access.restrict(model.objects.filter(pk__in=ids), user).select_related(*related)
        if also is not None:
            rows = rows.filter(also)
        return {row.pk: row for row in rows}
