"""The demo actions in the database: the actions, their participants and their CHSGs.

Rows are looked up by their natural keys and written only when missing or different; the demo
actions' participants and CHSGs are made exactly the demo's (rows added by hand are removed).
"""

from __future__ import annotations

from simple_history.utils import bulk_create_with_history

from ..models import (
    CommonHorizontalStrategicGoal,
    OperationalAction,
    OperationalActionPlan,
    Organisation,
    Participation,
)
from .base import CHANGE_REASON, Changes
from .files import DemoAction


def sync_actions(
    demo_actions: list[DemoAction], orgs: dict[str, Organisation]
) -> tuple[dict[str, OperationalAction], Changes]:
    plans = {plan.code: plan for plan in OperationalActionPlan.objects.all()}
    missing_plans = {a.plan for a in demo_actions} - set(plans)
    missing_orgs = {org for a in demo_actions for org, _ in a.roles} - set(orgs)
    if missing_plans or missing_orgs:
        raise ValueError(f"unknown plans {sorted(missing_plans)} or organisations {sorted(missing_orgs)}")
    outside = [
        f"{a.code} ({a.start.year}–{a.end.year}, plan {a.plan} {plans[a.plan].start_year}–{plans[a.plan].end_year})"
        for a in demo_actions
        if not plans[a.plan].start_year <= a.start.year <= a.end.year <= plans[a.plan].end_year
    ]
    if outside:
        raise ValueError(f"demo actions outside their plan's years: {', '.join(outside)}")
    changes = Changes()
    existing = {a.code: a for a in OperationalAction.objects.filter(code__in=[a.code for a in demo_actions])}
    actions = {}
    for demo in demo_actions:
        wanted = {
            "plan_id": plans[demo.plan].pk,
            "title": demo.title,
            "description": demo.description,
            "status": demo.status,
            "start": demo.start,
            "end": demo.end,
            "handling": demo.handling,
        }
        action = existing.get(demo.code)
        if action is None:
            action = OperationalAction(code=demo.code, **wanted)
            action._change_reason = CHANGE_REASON
            action.save()
            changes.created += 1
        else:
            dirty = [name for name, value in wanted.items() if getattr(action, name) != value]
            if dirty:
                for name in dirty:
                    setattr(action, name, wanted[name])
                action._change_reason = CHANGE_REASON
                action.save()
                changes.updated += 1
        actions[demo.code] = action
    return actions, changes


def sync_participations(
    demo_actions: list[DemoAction], actions: dict[str, OperationalAction], orgs: dict[str, Organisation]
) -> Changes:
    """Make each demo action's participants exactly the demo's (a changed role is re-created)."""
    wanted = {
        (actions[demo.code].pk, orgs[org].pk): role for demo in demo_actions for org, role in demo.roles
    }
    existing = {
        (p.action_id, p.organisation_id): p
        for p in Participation.objects.filter(action__in=actions.values()).only(
            "pk", "action_id", "organisation_id", "role"
        )
    }
    extra = [p.pk for key, p in existing.items() if key not in wanted]
    recast = [p.pk for key, p in existing.items() if key in wanted and wanted[key] != p.role]
    if extra or recast:
        # Deleted before anything is created, so the one-leader constraint holds throughout.
        Participation.objects.filter(pk__in=extra + recast).delete()
    new = [
        Participation(action_id=action_id, organisation_id=org_id, role=role)
        for (action_id, org_id), role in wanted.items()
        if (action_id, org_id) not in existing or existing[(action_id, org_id)].pk in recast
    ]
    bulk_create_with_history(new, Participation, default_change_reason=CHANGE_REASON)
    return Changes(created=len(new) - len(recast), updated=len(recast), deleted=len(extra))


def sync_chsgs(demo_actions: list[DemoAction], actions: dict[str, OperationalAction]) -> Changes:
    goals = {goal.number: goal.pk for goal in CommonHorizontalStrategicGoal.objects.all()}
    through = OperationalAction.chsgs.through
    wanted = {(actions[demo.code].pk, goals[number]) for demo in demo_actions for number in demo.chsgs}
    rows = through.objects.filter(operationalaction_id__in=[a.pk for a in actions.values()])
    existing = {(r.operationalaction_id, r.commonhorizontalstrategicgoal_id): r.pk for r in rows}
    stale = [pk for key, pk in existing.items() if key not in wanted]
    if stale:
        through.objects.filter(pk__in=stale).delete()
    new = [
        through(operationalaction_id=action_id, commonhorizontalstrategicgoal_id=goal_id)
        for action_id, goal_id in sorted(wanted - set(existing))
    ]
    through.objects.bulk_create(new)
    return Changes(created=len(new), deleted=len(stale))
