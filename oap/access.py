"""THE access rule: who may see and change what. Nothing else decides visibility.

Every entry point — admin, API, exports, report totals, services — starts from here:
`Model.objects.visible_to(user)` / `editable_by(user)` / `deletable_by(user)` (querysets), the
object checks `can(user, action, obj)` built from the same `Q` objects, and the authentication
backend `oap.backends.AccessBackend`, so that `user.has_perm(perm, obj)` agrees with the querysets.

A user may do an action on an object when BOTH hold:
1. their role allows it on the model (Django model permissions of the role's group, created by a
   data migration; superusers have them all), and
2. the object lies in their organisation's scope (the `Q` objects below).

Visibility of an operational action, by its handling level:
- ``participants``: the organisations taking part, the plan's driver and co-drivers, the hub;
- ``eu``: also every Member State, EU agency and EU institution;
- ``partners``: also every third country and international organisation.
Superusers and the hub see everything; a participant always sees its own actions. Result entries
follow their action; figures not yet validated are seen only by the reporting organisation, those
who may validate them and the hub. Nobody validates their own organisation's figures.
"""

from __future__ import annotations

from collections.abc import Callable

from django.apps import apps
from django.db.models import Model, Q, QuerySet

from .choices import EU_SIDE_KINDS, EntryStatus, HandlingLevel, ParticipationRole
from .workflow import STEPS, sources_of


def _model(name: str) -> type[Model]:
    """An oap model, from the app registry: the models use this module, not the other way round."""
    return apps.get_model("oap", name)


class RestrictedQuerySet(QuerySet):
    """Rows scoped by the access rule (NetBox's `restrict()`): `Model.objects.visible_to(user)`."""

    def visible_to(self, user):
        return restrict(self, user, "view")

    def editable_by(self, user):
        return restrict(self, user, "change")

    def deletable_by(self, user):
        return restrict(self, user, "delete")

    def restrict(self, user, action: str = "view"):
        return restrict(self, user, action)


NOTHING = Q(pk__in=[])
EVERYTHING = Q()

ACTIONS = ("view", "add", "change", "delete", "submit", "validate")


# --- who is asking --------------------------------------------------------------------------


def organisation_of(user):
    """The user's organisation, or None for anonymous users and users without one."""
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    return user.organisation


def sees_everything(user) -> bool:
    """Superusers and members of the hub (Europol's EMPACT support) see every row."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    organisation = user.organisation
    return bool(organisation and organisation.is_hub)


def is_hub_member(user) -> bool:
    organisation = organisation_of(user)
    return bool(organisation and organisation.is_hub)


def role_allows(user, action: str, model: type[Model]) -> bool:
    """Whether the user's role (model permissions) allows `action` on `model` at all."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    opts = model._meta
    return user.has_perm(f"{opts.app_label}.{action}_{opts.model_name}")


# --- scopes: the Q objects ------------------------------------------------------------------


def _plans_driven_by(organisation):
    OperationalActionPlan = _model("OperationalActionPlan")

    return OperationalActionPlan.objects.filter(Q(driver=organisation) | Q(co_drivers=organisation)).values(
        "pk"
    )


def _actions_joined_by(organisation, roles=None):
    Participation = _model("Participation")

    participations = Participation.objects.filter(organisation=organisation)
    if roles is not None:
        participations = participations.filter(role__in=roles)
    return participations.values("action_id")


def _locked_years():
    YearLock = _model("YearLock")

    return YearLock.objects.values("year")


def action_visible_q(user, prefix: str = "") -> Q:
    """Operational actions the user may see; `prefix` reaches them from a related model."""
    if sees_everything(user):
        return EVERYTHING
    organisation = organisation_of(user)
    if organisation is None:
        return NOTHING
    levels = [HandlingLevel.PARTNERS]
    if organisation.kind in EU_SIDE_KINDS:
        levels.append(HandlingLevel.EU)
    return (
        Q(**{f"{prefix}handling__in": levels})
        | Q(**{f"{prefix}pk__in": _actions_joined_by(organisation)})
        | Q(**{f"{prefix}plan_id__in": _plans_driven_by(organisation)})
    )


def action_managed_q(user, prefix: str = "") -> Q:
    """Actions the user's organisation manages: the plan's drivers and co-drivers, the action's leader."""
    if sees_everything(user):
        return EVERYTHING
    organisation = organisation_of(user)
    if organisation is None:
        return NOTHING
    return Q(**{f"{prefix}plan_id__in": _plans_driven_by(organisation)}) | Q(
        **{f"{prefix}pk__in": _actions_joined_by(organisation, roles=[ParticipationRole.LEADER])}
    )


def plan_visible_q(user) -> Q:
    """Plans: the EU side sees them all; partners see plans holding an action visible to them."""
    OperationalAction = _model("OperationalAction")

    if sees_everything(user):
        return EVERYTHING
    organisation = organisation_of(user)
    if organisation is None:
        return NOTHING
    if organisation.kind in EU_SIDE_KINDS:
        return EVERYTHING
    visible_actions = OperationalAction.objects.filter(action_visible_q(user)).values("plan_id")
    return Q(pk__in=visible_actions) | Q(pk__in=_plans_driven_by(organisation))


def plan_managed_q(user) -> Q:
    """Plans themselves are maintained by the hub (and superusers)."""
    return EVERYTHING if sees_everything(user) else NOTHING


def entry_visible_q(user, among=None) -> Q:
    """Result entries follow their action; figures not yet validated (drafts, submitted, returned,
    and their return reasons) are seen only by the reporting organisation, those who may validate
    them (the action leader's organisation, the plan's drivers) and the hub.

    `among`: the ids of the actions the entries asked for are limited to (a page's totals), so
    that the visible actions are looked up among those, not read in full.
    """
    if sees_everything(user):
        return EVERYTHING
    organisation = organisation_of(user)
    if organisation is None:
        return NOTHING
    # a semi-join on the visible actions' ids (not a join filter on every entry's action): the
    # planner then reads a page of entries in index order instead of joining and sorting them all
    actions = _model("OperationalAction").objects.all()
    if among is not None:
        actions = actions.filter(pk__in=among)
    visible_actions = actions.filter(action_visible_q(user)).values("pk")
    return Q(action_id__in=visible_actions) & (Q(status=EntryStatus.VALIDATED) | unvalidated_visible_q(user))


def unvalidated_visible_q(user) -> Q:
    """Whose figures not yet validated the user may see, as a Q on `organisation` and `action`: their
    own organisation's, those they review (the actions it leads, the plans it drives), every one
    for the hub.

    It filters result entries, and equally the participations (an organisation in an action) —
    so a completeness cell says what stands of another organisation's figures only to those who
    may see them.
    """
    if sees_everything(user):
        return EVERYTHING
    organisation = organisation_of(user)
    if organisation is None:
        return NOTHING
    return Q(organisation=organisation) | _reviewed_by_q(organisation)


def _reviewed_by_q(organisation) -> Q:
    """Entries whose action `organisation` leads or whose plan it drives (it reviews them).

    Both as semi-joins on the action's id: a join to every action would be hashed whole."""
    driven = _model("OperationalAction").objects.filter(plan_id__in=_plans_driven_by(organisation))
    return Q(action_id__in=driven.values("pk")) | Q(
        action_id__in=_actions_joined_by(organisation, roles=[ParticipationRole.LEADER])
    )


def entry_changeable_q(user, step: str = "change") -> Q:
    """Entries the user may change, delete or submit: their own organisation's, still open
    (`oap.workflow`), in an open year.

    Superusers and the hub may correct any open entry; nobody changes a validated entry or an
    entry of a locked year.
    """
    open_entries = Q(status__in=STEPS[step].sources) & ~Q(year__in=_locked_years())
    if sees_everything(user):
        return open_entries
    organisation = organisation_of(user)
    if organisation is None:
        return NOTHING
    return open_entries & Q(organisation=organisation) & Q(action_id__in=_actions_joined_by(organisation))


def entry_validatable_q(user) -> Q:
    """Entries of an open year the user may validate or return (`oap.workflow`): those of the
    actions their organisation leads or whose plan it drives, and every one for the hub — never
    their own organisation's figures (four eyes)."""
    reviewable = Q(status__in=sources_of("validate")) & ~Q(year__in=_locked_years())
    if user is not None and user.is_superuser and organisation_of(user) is None:
        return reviewable
    organisation = organisation_of(user)
    if organisation is None:
        return NOTHING
    if organisation.is_hub:
        return reviewable & ~Q(organisation=organisation)
    return reviewable & _reviewed_by_q(organisation) & ~Q(organisation=organisation)


def import_job_own_q(user) -> Q:
    """The user's own spreadsheet imports: those the import pages list and follow, and the only
    ones the user may confirm. Whatever the role (a coordinator has no oap.view_importjob), and for
    the hub too, which reads everyone's imports in their admin but confirms only its own."""
    if user is None or not user.is_authenticated or not user.is_active:
        return NOTHING
    return Q(created_by=user)


#: the scopes of other apps' models, which those apps register (`register_scope`): the rule for
#: them is built on the primitives here, and oap names none of their statuses or permissions
_SCOPES: dict[str, Callable[[object, str], Q]] = {}


def register_scope(label: str, scope: Callable[[object, str], Q]) -> None:
    """Make `scope(user, action)` the organisation scope of the model `label` ("app.Model")."""
    _SCOPES[label] = scope


def _model_scope(model: type[Model], user, action: str, among=None) -> Q:
    label = model._meta.label
    if label in _SCOPES:
        return _SCOPES[label](user, action)
    if label == "oap.OperationalAction":
        return action_visible_q(user) if action == "view" else action_managed_q(user)
    if label == "oap.Participation":
        if action == "view":
            return action_visible_q(user, "action__")
        return action_managed_q(user, "action__")
    if label == "oap.OperationalActionPlan":
        return plan_visible_q(user) if action == "view" else plan_managed_q(user)
    if label == "oap.ResultEntry":
        if action == "view":
            return entry_visible_q(user, among)
        if action == "validate":
            return entry_validatable_q(user)
        return entry_changeable_q(user, action)
    if label == "oap.ReportingPeriod" and action != "view":  # deadlines are set by the hub
        return EVERYTHING if sees_everything(user) else NOTHING
    if label == "oap.ImportJob":  # one's own uploads; the hub and superusers see all
        if sees_everything(user):
            return EVERYTHING
        return import_job_own_q(user) if action == "view" else NOTHING
    # Reference data (organisations, cycles, priorities, CHSGs, result types, locked years):
    # readable by every signed-in user with the view permission, written by those whose role
    # allows it (superusers, through the admin).
    if organisation_of(user) is None and not sees_everything(user):
        return NOTHING
    return EVERYTHING


def scope_q(model: type[Model], user, action: str = "view", among=None) -> Q:
    """The whole rule for one model and action, as a Q: role permission and organisation scope.

    `among`: for result entries, the ids of the actions the caller's queryset is limited to (a
    page's totals): the visible actions are looked up among those, not read in full."""
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}; expected one of {ACTIONS}")
    if not role_allows(user, action, model):
        return NOTHING
    return _model_scope(model, user, action, among)


def restrict(queryset: QuerySet, user, action: str = "view", among=None) -> QuerySet:
    """`queryset` narrowed to the rows `user` may `action` (`among`: see `scope_q`)."""
    q = scope_q(queryset.model, user, action, among)
    if q is NOTHING:
        return queryset.none()
    return queryset.filter(q)


def can(user, action: str, obj: Model) -> bool:
    """Object check built from the same Q as the querysets."""
    if obj is None or obj.pk is None:
        return False
    return restrict(type(obj)._default_manager.filter(pk=obj.pk), user, action).exists()


# --- write checks that are not about an existing row ---------------------------------------


def can_record_result(user, *, action, organisation) -> bool:
    """A coordinator records results for their own organisation in actions it takes part in."""
    Participation = _model("Participation")
    ResultEntry = _model("ResultEntry")

    if not role_allows(user, "add", ResultEntry):
        return False
    if not Participation.objects.filter(action=action, organisation=organisation).exists():
        return False
    if user.is_superuser:
        return True
    own = organisation_of(user)
    return own is not None and own.pk == organisation.pk and can(user, "view", action)


def actions_open_for_results(user) -> QuerySet:
    """Actions in which the user may record results for their organisation (for choosers)."""
    OperationalAction = _model("OperationalAction")
    ResultEntry = _model("ResultEntry")

    actions = OperationalAction.objects.all()
    if not role_allows(user, "add", ResultEntry):
        return actions.none()
    if user.is_superuser:
        return actions
    organisation = organisation_of(user)
    if organisation is None:
        return actions.none()
    return actions.filter(pk__in=_actions_joined_by(organisation))


def organisations_reporting_for(user) -> QuerySet:
    """Organisations the user may record results for: their own (superusers: any)."""
    Organisation = _model("Organisation")

    if user.is_superuser:
        return Organisation.objects.all()
    organisation = organisation_of(user)
    if organisation is None:
        return Organisation.objects.none()
    return Organisation.objects.filter(pk=organisation.pk)


def plans_open_for_actions(user) -> QuerySet:
    """Plans in which the user may create actions: drivers, co-drivers, the hub."""
    OperationalAction = _model("OperationalAction")
    OperationalActionPlan = _model("OperationalActionPlan")

    plans = OperationalActionPlan.objects.all()
    if not role_allows(user, "add", OperationalAction):
        return plans.none()
    if sees_everything(user):
        return plans
    organisation = organisation_of(user)
    if organisation is None:
        return plans.none()
    return plans.filter(pk__in=_plans_driven_by(organisation))


def can_confirm_import(user, job) -> bool:
    """Only the person who uploaded a file confirms its import."""
    return (
        job.pk is not None and type(job)._default_manager.filter(import_job_own_q(user), pk=job.pk).exists()
    )


def can_manage_years(user) -> bool:
    """Locking and unlocking a reporting year is for the hub (and superusers)."""
    YearLock = _model("YearLock")

    return sees_everything(user) and role_allows(user, "add", YearLock)
