"""What a recipient may be told of: asked of `oap.access` for each recipient, at each delivery.

A recipient is a user or, for a webhook, its organisation (`access.OrganisationReader`). Nothing
here decides visibility: it asks the access rule about the rows an event or a notification names.
"""

from __future__ import annotations

from oap import access, events
from oap.models import OperationalAction, OperationalActionPlan, ResultEntry
from reporting.models import Factsheet


def event_visible(reader, event) -> bool:
    """Whether `reader` may see what `event` is about (the entry, the action, the factsheet)."""
    if event.kind == "ping":
        return True
    if event.kind.startswith("entry."):
        entries = ResultEntry.objects.filter(pk=event.entry_id)
        return event.entry_id is not None and access.restrict(entries, reader).exists()
    if event.kind == events.FACTSHEET_PUBLISHED:
        factsheets = Factsheet.objects.filter(access.reports_visible_q(reader), pk=event.factsheet_id)
        return event.factsheet_id is not None and factsheets.exists()
    if event.kind == events.ACTION_CHANGED:
        actions = OperationalAction.objects.filter(pk=event.action_id)
        return event.action_id is not None and access.restrict(actions, reader).exists()
    return False


class Seen:
    """The rows a batch of notifications names that `user` may see now: three queries at most."""

    def __init__(self, user, notifications):
        entry_ids, action_ids, plan_ids = set(), set(), set()
        for notification in notifications:
            if notification.event_id is not None and notification.event.entry_id is not None:
                entry_ids.add(notification.event.entry_id)
            action_ids.update(notification.data.get("actions", []))
            plan_ids.update(row["plan"] for p in notification.data.get("periods", []) for row in p["plans"])
        self.entries = self._visible(user, ResultEntry, entry_ids, ("action", "organisation", "result_type"))
        self.actions = self._visible(user, OperationalAction, action_ids, ("plan",))
        self.plans = self._visible(user, OperationalActionPlan, plan_ids, ())

    @staticmethod
    def _visible(user, model, ids, related) -> dict:
        if not ids:
            return {}
        rows = access.restrict(model.objects.filter(pk__in=ids), user).select_related(*related)
        return {row.pk: row for row in rows}
