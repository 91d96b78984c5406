"""The demo's result entries in the database: written in their demo state, whatever was done to them.

Each wanted entry (action, organisation, counter, year, half-year) is created, or put back to its
demo value and status; entries the demo once created and no longer makes are deleted (the demo's
creations are those whose first history record carries its `CHANGE_REASON`). Entries added by
hand are kept, and the demo adds no figure beside one of theirs for another kind of period (a
whole year beside half-years or the reverse), so the period rule holds whatever was recorded.
"""

from __future__ import annotations

from collections import defaultdict

from simple_history.utils import bulk_create_with_history

from ..choices import EntryStatus, UserRole
from ..models import OperationalAction, Organisation, ResultEntry, ResultType, User
from .base import ANALYST_USERNAME, CHANGE_REASON, Changes, DemoEntry, EntryKey


def _fields(key: EntryKey, entry: DemoEntry, entered_by: int | None, analyst: User) -> dict:
    *_, year, half_year = key
    submitted, validated = entry.moments(year, half_year)
    return {
        "value": entry.value,
        "status": entry.status,
        "comment": "",
        "return_reason": entry.return_reason,
        "entered_by_id": entered_by,
        "submitted_at": submitted,
        "validated_by_id": analyst.pk if entry.status == EntryStatus.VALIDATED else None,
        "validated_at": validated,
    }


def _by_ids(wanted, actions, orgs, users) -> dict[tuple, dict]:
    """The wanted entries' fields by (action, organisation, counter, year, half-year) ids."""
    types = {rt.code: rt.pk for rt in ResultType.objects.all()}
    analyst = users[ANALYST_USERNAME]
    coordinators = {
        user.organisation_id: user.pk
        for user in users.values()
        if user.role == UserRole.COORDINATOR and user.organisation_id
    }
    by_id: dict[tuple, dict] = {}
    for key, entry in wanted.items():
        action_code, org_code, counter, year, half_year = key
        org_id = orgs[org_code].pk
        id_key = (actions[action_code].pk, org_id, types[counter], year, half_year)
        by_id[id_key] = _fields(key, entry, coordinators.get(org_id), analyst)
    return by_id


def sync_entries(
    wanted: dict[EntryKey, DemoEntry],
    actions: dict[str, OperationalAction],
    orgs: dict[str, Organisation],
    users: dict[str, User],
) -> Changes:
    """Write the demo's entries (entered by the organisation's demo coordinator, validated by the
    analyst); drop the demo-made entries no longer wanted."""
    by_id = _by_ids(wanted, actions, orgs, users)
    made_by_demo = set(
        ResultEntry.history.filter(history_type="+", history_change_reason=CHANGE_REASON).values_list(
            "id", flat=True
        )
    )
    changes, stale = Changes(), []
    held: dict[tuple, set] = defaultdict(set)  # (action, organisation, counter, year) → half-years kept
    for entry in ResultEntry.objects.filter(action__in=actions.values()).order_by("pk"):
        key = (entry.action_id, entry.organisation_id, entry.result_type_id, entry.year, entry.half_year)
        fields = by_id.pop(key, None)
        if fields is None and entry.pk in made_by_demo:
            stale.append(entry.pk)
            continue
        held[key[:4]].add(entry.half_year)
        dirty = [name for name, value in (fields or {}).items() if getattr(entry, name) != value]
        if dirty:
            for name in dirty:
                setattr(entry, name, fields[name])
            entry._change_reason = CHANGE_REASON
            entry.save(update_fields=[*dirty, "updated_at"])
            changes.updated += 1
    if stale:
        changes.deleted = ResultEntry.objects.filter(pk__in=stale).delete()[0]
    new = [
        ResultEntry(
            action_id=action_id,
            organisation_id=org_id,
            result_type_id=type_id,
            year=year,
            half_year=half_year,
            **fields,
        )
        for (action_id, org_id, type_id, year, half_year), fields in sorted(
            by_id.items(), key=lambda item: item[0][:4]
        )
        # never a whole-year figure beside half-years of an entry kept, nor the reverse
        if not any((h is None) != (half_year is None) for h in held[(action_id, org_id, type_id, year)])
    ]
    bulk_create_with_history(new, ResultEntry, batch_size=500, default_change_reason=CHANGE_REASON)
    changes.created = len(new)
    return changes
