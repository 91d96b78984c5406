"""The oap panels of the admin dashboard (collected by the project's admin site).

Every count comes from the access rule's querysets (`oap.access`): a panel never counts a row
the user could not open. Each panel costs two queries (a count and a short list), whatever the
number of rows.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.db.models import Case, F, OuterRef, Subquery, When
from django.urls import reverse

from . import access
from .admin.filters import TakingPartFilter
from .admin.grid import grid_url
from .admin.workflow import entries_to_submit, entries_to_validate
from .choices import ActionStatus, EntryStatus, ParticipationRole, UserRole
from .models import OperationalAction, Participation, ResultEntry

LATEST = 5


def _url(view: str, model, *args, query: dict | None = None) -> str:
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)
    return f"{url}?{urlencode(query)}" if query else url


def _entry_item(entry: ResultEntry) -> dict:
    note = entry.get_status_display()
    if entry.status == EntryStatus.RETURNED and entry.return_reason:
        note = f"{note}: {entry.return_reason}"
    return {"label": str(entry), "url": _url("change", ResultEntry, entry.pk), "note": note}


def _actions_panel(user) -> dict | None:
    if not access.role_allows(user, "view", OperationalAction):
        return None
    organisation = access.organisation_of(user)
    actions = OperationalAction.objects.visible_to(user)
    if organisation is None:  # superusers without an organisation: the latest changes
        title, query, empty = "Latest operational actions", None, "No operational action yet."
    else:
        actions = actions.filter(
            pk__in=Participation.objects.filter(organisation=organisation).values("action_id")
        )
        actions = actions.annotate(
            _my_role=Subquery(
                Participation.objects.filter(action=OuterRef("pk"), organisation=organisation).values("role")[
                    :1
                ]
            )
        )
        title = f"{organisation.name}'s operational actions"
        query = {TakingPartFilter.parameter_name: organisation.code}
        empty = f"{organisation.name} takes part in no operational action yet."
    # ongoing first, then planned, then the rest; latest start first; by code
    running_first = Case(
        When(status=ActionStatus.ONGOING, then=0), When(status=ActionStatus.PLANNED, then=1), default=2
    )
    shown = list(
        actions.select_related("plan").order_by(running_first, F("start").desc(nulls_last=True), "code")[
            :LATEST
        ]
    )
    records = organisation is not None and access.role_allows(user, "add", ResultEntry)
    items = []
    for action in shown:
        role = getattr(action, "_my_role", None)
        parts = [ParticipationRole(role).label] if role else []
        parts.append(action.get_status_display())
        item = {
            "label": str(action),
            "url": _url("change", OperationalAction, action.pk),
            "note": " · ".join(str(p) for p in parts),
        }
        if records and role:  # it takes part: its figures are the user's to record
            item["links"] = [{"label": "Record results", "url": grid_url(action), "class": "record-results"}]
        items.append(item)
    return {
        "id": "my-actions",
        "title": title,
        "count": actions.count(),
        "items": items,
        "link": {"url": _url("changelist", OperationalAction, query=query), "label": "See them all"},
        "empty": empty,
        "help": "Ongoing actions first, then planned ones, then the others; the latest start first.",
    }


def _to_submit_panel(user) -> dict | None:
    organisation = access.organisation_of(user)
    if organisation is None or not access.role_allows(user, "submit", ResultEntry):
        return None
    entries = entries_to_submit(user)
    latest = entries.select_related("action", "organisation", "result_type").order_by(
        "-year", "action__code", "half_year", "result_type__order", "pk"
    )
    return {
        "id": "to-submit",
        "title": "Waiting for you to submit",
        "count": entries.count(),
        "items": [_entry_item(entry) for entry in latest[:LATEST]],
        "link": {
            "url": _url("changelist", ResultEntry, query={"waiting": "submit"}),
            "label": "See them all",
        },
        "empty": f"Nothing waits for your submission: {organisation.name} has no draft or returned entry.",
        "help": "Drafts and returned entries of your organisation, latest year first, by action; "
        "open one to submit it, or record results for the whole period from an action.",
    }


def _to_validate_panel(user) -> dict | None:
    if not access.role_allows(user, "validate", ResultEntry):
        return None
    entries = entries_to_validate(user)
    latest = entries.select_related("action", "organisation", "result_type").order_by("submitted_at", "pk")
    return {
        "id": "to-validate",
        "title": "Waiting for you to validate",
        "count": entries.count(),
        "items": [_entry_item(entry) for entry in latest[:LATEST]],
        "link": {
            "url": _url("changelist", ResultEntry, query={"waiting": "validate"}),
            "label": "See them all",
        },
        "empty": "Nothing waits for your validation.",
        "help": "Submitted entries of the actions you lead or whose plan you drive, oldest first.",
    }


def panels(request) -> list[dict]:
    user = request.user
    return [
        panel
        for panel in (_actions_panel(user), _to_submit_panel(user), _to_validate_panel(user))
        if panel is not None
    ]


def abilities(request) -> list[str]:
    """What the user's role lets them do with actions and results, in one or two short lines."""
    user = request.user
    if user.is_superuser:
        return ["As a superuser you see and administer everything."]
    organisation = access.organisation_of(user)
    if organisation is None:
        return [
            "Your account belongs to no organisation, so you see no action or result yet: ask the "
            "EMPACT support team to attach it to yours."
        ]
    hub = access.is_hub_member(user)
    role = UserRole(user.role).label.lower() if user.role in UserRole.values else user.role
    can_do = []
    if access.role_allows(user, "add", ResultEntry) and access.role_allows(user, "submit", ResultEntry):
        can_do.append(
            f"record results for {organisation.code} in the actions it takes part in and submit them"
        )
    if access.role_allows(user, "validate", ResultEntry):
        scope = "of every action" if hub else "of the actions it leads or whose plan it drives"
        can_do.append(f"validate or return submitted results {scope}")
    if access.role_allows(user, "add", OperationalAction):
        if hub:
            can_do.append("add operational actions to any plan")
        elif access.plans_open_for_actions(user).exists():
            can_do.append(f"add operational actions to the plans {organisation.code} drives")
    if access.can_manage_years(user):
        can_do.append("lock and unlock reporting years")
    seen = "every action and result" if hub else f"the actions and results visible to {organisation.code}"
    line = f"You are {_article(role)} {role} of {organisation.name}: you see {seen}"
    if can_do:
        line += "; you may " + ", ".join(can_do[:-1]) + (" and " if len(can_do) > 1 else "") + can_do[-1]
    return [line + "."]


def _article(word: str) -> str:
    return "an" if word[:1] in "aeiou" else "a"
