"""Every write with a business rule goes through a service here (keyword-only, atomic)."""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction

from .choices import ActionStatus, HandlingLevel, ParticipationRole
from .models import (
    CommonHorizontalStrategicGoal,
    OperationalAction,
    OperationalActionPlan,
    Organisation,
    Participation,
)


@transaction.atomic
def action_create(
    *,
    plan: OperationalActionPlan,
    code: str,
    title: str,
    leader: Organisation | None,
    co_leaders: Iterable[Organisation] = (),
    participants: Iterable[Organisation] = (),
    description: str = "",
    status: str = ActionStatus.PLANNED,
    handling: str = HandlingLevel.EU,
    start: datetime.date | None = None,
    end: datetime.date | None = None,
    chsgs: Iterable[CommonHorizontalStrategicGoal] = (),
) -> OperationalAction:
    """Create an operational action together with its leader and other participants.

    The database allows at most one leader per action; this service guarantees at least one,
    so an action is never created without somebody answerable for it.
    """
    if leader is None:
        raise ValidationError({"leader": "An operational action needs exactly one leader."})
    roles: dict[int, tuple[Organisation, str]] = {leader.pk: (leader, ParticipationRole.LEADER)}
    for role, organisations in (
        (ParticipationRole.CO_LEADER, co_leaders),
        (ParticipationRole.PARTICIPANT, participants),
    ):
        for organisation in organisations:
            if organisation.pk in roles:
                raise ValidationError(
                    {"participants": f"{organisation.code} is listed more than once; give it one role."}
                )
            roles[organisation.pk] = (organisation, role)
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
    action.full_clean()
    action.save()
    Participation.objects.bulk_create(
        Participation(action=action, organisation=organisation, role=role)
        for organisation, role in roles.values()
    )
    if chsgs:
        action.chsgs.set(chsgs)
    return action
