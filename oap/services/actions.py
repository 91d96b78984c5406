"""Operational actions and who takes part in them — with the one leader rule.

An action has exactly one leader at every moment: the database holds "at most one" (a partial
unique index), `check_participants` holds "at least one" and "each organisation once", and every
path that changes participants (creating an action, its admin page, the participations list)
writes them through `action_set_participants`.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction

from .. import access, events
from ..choices import ActionStatus, HandlingLevel, ParticipationRole
from ..models import (
    CommonHorizontalStrategicGoal,
    OperationalAction,
    OperationalActionPlan,
    Organisation,
    Participation,
)
from .base import Refused, acting, require, save

LEADER_REQUIRED = "An operational action needs exactly one leader."
MANAGERS = "Only the action's leader, the plan's drivers and the EMPACT support hub change it."


def check_participants(roles: Iterable[tuple[Organisation, str]]) -> dict[int, tuple[Organisation, str]]:
    """The participants as {organisation id: (organisation, role)}: each once, exactly one leader."""
    found: dict[int, tuple[Organisation, str]] = {}
    for organisation, role in roles:
        if organisation.pk in found:
            raise ValidationError(
                {"participants": f"{organisation.code} is listed more than once; give it one role."}
            )
        if role not in ParticipationRole.values:
            raise ValidationError(
                {"participants": f"{role!r} is not a role: leader, co_leader or participant."}
            )
        found[organisation.pk] = (organisation, role)
    if sum(1 for _, role in found.values() if role == ParticipationRole.LEADER) != 1:
        raise ValidationError({"participants": LEADER_REQUIRED})
    return found


def check_action(action: OperationalAction) -> None:
    """The action's own fields (model validation) and its dates within its plan's cycle."""
    action.full_clean(exclude=["plan"] if action.plan_id is None else None)
    cycle = action.plan.priority.cycle
    for name in ("start", "end"):
        day = getattr(action, name)
        if day is not None and not cycle.start_year <= day.year <= cycle.end_year:
            raise ValidationError(
                {
                    name: f"{action.plan.code} belongs to the {cycle.name} cycle: give a date from "
                    f"{cycle.start_year} to {cycle.end_year}."
                }
            )


@transaction.atomic
def action_set_participants(
    *, action: OperationalAction, roles: Iterable[tuple[Organisation, str]], by
) -> None:
    """Make the action's participants exactly `roles`, in an order the database accepts.

    Rows leaving go first, then the old leader's row (if it changes role), then the others, so
    that at no moment two rows claim the lead.
    """
    if by is not None and action.pk is not None:
        require(by, "change", action, MANAGERS)
    wanted = check_participants(roles)
    current = {p.organisation_id: p for p in Participation.objects.filter(action=action).select_for_update()}
    for organisation_id, participation in current.items():
        if organisation_id not in wanted:
            if acting(by) is not None:
                participation._history_user = by
            participation.delete()
    changed = sorted(
        (p for oid, p in current.items() if oid in wanted and p.role != wanted[oid][1]),
        key=lambda p: p.role != ParticipationRole.LEADER,  # the old leader first
    )
    for participation in changed:
        participation.role = wanted[participation.organisation_id][1]
        save(participation, by)
    for organisation_id, (organisation, role) in wanted.items():
        if organisation_id not in current:
            save(Participation(action=action, organisation=organisation, role=role), by)


@transaction.atomic
def action_create(
    *,
    plan: OperationalActionPlan,
    code: str,
    title: str,
    leader: Organisation | None = None,
    co_leaders: Iterable[Organisation] = (),
    participants: Iterable[Organisation] = (),
    roles: Iterable[tuple[Organisation, str]] | None = None,
    description: str = "",
    status: str = ActionStatus.PLANNED,
    handling: str = HandlingLevel.EU,
    start: datetime.date | None = None,
    end: datetime.date | None = None,
    chsgs: Iterable[CommonHorizontalStrategicGoal] = (),
    by=None,
) -> OperationalAction:
    """Create an operational action together with its leader and other participants.

    Give the participants either as `leader`, `co_leaders` and `participants`, or as `roles`
    (pairs of organisation and role, as the admin's participants table does).
    """
    if by is not None and not access.plans_open_for_actions(by).filter(pk=plan.pk).exists():
        raise Refused(
            f"Only the drivers and co-drivers of {plan.code} and the EMPACT support hub add actions to it.",
            field="plan",
        )
    if roles is None:
        roles = [(leader, ParticipationRole.LEADER)] if leader is not None else []
        roles += [(o, ParticipationRole.CO_LEADER) for o in co_leaders]
        roles += [(o, ParticipationRole.PARTICIPANT) for o in participants]
    roles = list(roles)
    check_participants(roles)
    action = OperationalAction(
        plan=plan,
        code=code,
        title=title,
        description=description,
        status=status,
        handling=handling,
        start=start,
        end=end,
    )
    check_action(action)
    save(action, by)
    action_set_participants(action=action, roles=roles, by=by)
    if chsgs:
        action.chsgs.set(chsgs)
    events.action_changed(action, by=by, created=True)
    return action


@transaction.atomic
def action_update(
    *, action: OperationalAction, by, roles: Iterable[tuple[Organisation, str]] | None = None, **fields
) -> OperationalAction:
    """Change an action's fields (and, given `roles`, its participants): its leader, drivers or the hub.

    An action stays in its plan, except for superusers.
    """
    require(by, "change", action, MANAGERS)
    action = OperationalAction.objects.select_for_update().get(pk=action.pk)
    chsgs = fields.pop("chsgs", None)
    if "plan" in fields and fields["plan"].pk != action.plan_id and by is not None and not by.is_superuser:
        raise Refused("An action stays in its plan.", field="plan")
    for name, value in fields.items():
        setattr(action, name, value)
    check_action(action)
    save(action, by)
    if chsgs is not None:
        action.chsgs.set(chsgs)
    if roles is not None:
        action_set_participants(action=action, roles=roles, by=by)
    events.action_changed(action, by=by)
    return action


def _roles_of(action: OperationalAction) -> list[tuple[Organisation, str]]:
    return [(p.organisation, p.role) for p in action.participations.select_related("organisation")]


@transaction.atomic
def participation_save(
    *, action: OperationalAction, organisation: Organisation, role: str, by
) -> Participation:
    """Add an organisation to an action, or change its role (through the one leader rule)."""
    roles = [(o, r) for o, r in _roles_of(action) if o.pk != organisation.pk]
    action_set_participants(action=action, roles=[*roles, (organisation, role)], by=by)
    return Participation.objects.get(action=action, organisation=organisation)


@transaction.atomic
def participation_remove(*, participation: Participation, by) -> None:
    """Take an organisation out of an action (never its leader: hand the lead over first)."""
    action = participation.action
    roles = [(o, r) for o, r in _roles_of(action) if o.pk != participation.organisation_id]
    action_set_participants(action=action, roles=roles, by=by)
