"""The access matrix: roles × handling levels × models × {view, change, delete}.

The expected answers come from the tables written here, not from the code under test. Each
answer is asked three ways — `visible_to`/`editable_by`/`deletable_by` querysets and
`user.has_perm(perm, obj)` — and all must agree with the table.
"""

from decimal import Decimal

import pytest

from oap import access
from oap.choices import EntryStatus, OrganisationKind, ParticipationRole, UserRole
from oap.models import OperationalAction, OperationalActionPlan, Participation, ResultEntry
from tests import factories as f

pytestmark = pytest.mark.django_db

ROLES = ["superuser", "hub_analyst", "driver_ms", "uninvolved_ms", "agency", "tc_participant", "tc_outsider"]
LEVELS = ["participants", "eu", "partners"]
Y, N = True, False


def per_level(participants, eu, partners):
    return {"participants": participants, "eu": eu, "partners": partners}


def same(answer):
    return per_level(answer, answer, answer)


# expected[(model, row)][op][role][level]
EXPECTED = {
    ("action", "action"): {
        "view": {
            "superuser": same(Y),
            "hub_analyst": same(Y),
            "driver_ms": same(Y),
            "uninvolved_ms": per_level(N, Y, Y),
            "agency": per_level(N, Y, Y),
            "tc_participant": same(Y),
            "tc_outsider": per_level(N, N, Y),
        },
        "change": {
            "superuser": same(Y),
            "hub_analyst": same(N),  # analysts read and report; they do not edit actions
            "driver_ms": same(Y),
            "uninvolved_ms": same(N),
            "agency": same(N),
            "tc_participant": same(N),  # a participant, not the leader
            "tc_outsider": same(N),
        },
    },
    ("plan", "plan"): {
        # each plan holds the one action of its handling level
        "view": {
            "superuser": same(Y),
            "hub_analyst": same(Y),
            "driver_ms": same(Y),
            "uninvolved_ms": same(Y),  # the EU side sees every plan
            "agency": same(Y),
            "tc_participant": same(Y),
            "tc_outsider": per_level(N, N, Y),
        },
        "change": {
            "superuser": same(Y),
            "hub_analyst": same(N),
            "driver_ms": same(N),
            "uninvolved_ms": same(N),
            "agency": same(N),
            "tc_participant": same(N),
            "tc_outsider": same(N),
        },
    },
    ("participation", "tc_participation"): {
        "view": {
            "superuser": same(Y),
            "hub_analyst": same(Y),
            "driver_ms": same(Y),
            "uninvolved_ms": per_level(N, Y, Y),
            "agency": per_level(N, Y, Y),
            "tc_participant": same(Y),
            "tc_outsider": per_level(N, N, Y),
        },
        "change": {
            "superuser": same(Y),
            "hub_analyst": same(N),
            "driver_ms": same(Y),
            "uninvolved_ms": same(N),
            "agency": same(N),
            "tc_participant": same(N),
            "tc_outsider": same(N),
        },
    },
    ("result", "tc_returned"): {
        # the third-country participant's entry, sent back to it for correction
        "view": {
            "superuser": same(Y),
            "hub_analyst": same(Y),
            "driver_ms": same(Y),
            "uninvolved_ms": per_level(N, Y, Y),
            "agency": per_level(N, Y, Y),
            "tc_participant": same(Y),
            "tc_outsider": per_level(N, N, Y),
        },
        "change": {
            "superuser": same(Y),
            "hub_analyst": same(N),
            "driver_ms": same(N),  # drivers validate; they do not rewrite another's figures
            "uninvolved_ms": same(N),
            "agency": same(N),
            "tc_participant": same(Y),
            "tc_outsider": same(N),
        },
    },
    ("result", "leader_draft"): {
        # drafts are private to their organisation and the hub
        "view": {
            "superuser": same(Y),
            "hub_analyst": same(Y),
            "driver_ms": same(N),
            "uninvolved_ms": same(N),
            "agency": same(N),
            "tc_participant": same(N),
            "tc_outsider": same(N),
        },
        "change": {
            "superuser": same(Y),
            "hub_analyst": same(N),
            "driver_ms": same(N),
            "uninvolved_ms": same(N),
            "agency": same(N),
            "tc_participant": same(N),
            "tc_outsider": same(N),
        },
    },
    ("result", "tc_validated"): {
        "view": {
            "superuser": same(Y),
            "hub_analyst": same(Y),
            "driver_ms": same(Y),
            "uninvolved_ms": per_level(N, Y, Y),
            "agency": per_level(N, Y, Y),
            "tc_participant": same(Y),
            "tc_outsider": per_level(N, N, Y),
        },
        # a validated entry changes for nobody, superusers included
        "change": {role: same(N) for role in ROLES},
    },
}
for table in EXPECTED.values():
    table["delete"] = table["change"]  # who may change a row may delete it, and nobody else

MODELS = {
    "action": OperationalAction,
    "plan": OperationalActionPlan,
    "participation": Participation,
    "result": ResultEntry,
}


@pytest.fixture
def world(db):
    org = f.OrganisationFactory
    hub = org(code="EUROPOL", kind=OrganisationKind.EU_AGENCY, is_hub=True)
    driver = org(code="DR", kind=OrganisationKind.MEMBER_STATE)
    leader = org(code="LD", kind=OrganisationKind.MEMBER_STATE)
    uninvolved = org(code="UN", kind=OrganisationKind.MEMBER_STATE)
    agency = org(code="FRONTEX", kind=OrganisationKind.EU_AGENCY)
    tc_in = org(code="CO", kind=OrganisationKind.THIRD_COUNTRY)
    tc_out = org(code="RS", kind=OrganisationKind.THIRD_COUNTRY)
    arrests = f.ResultTypeFactory(code="arrests")
    rows = {}
    for level in LEVELS:
        plan = f.PlanFactory(code=f"PLAN-{level}", driver=driver)
        action = f.ActionFactory(plan=plan, code=f"OA-{level}", handling=level)
        f.ParticipationFactory(action=action, organisation=leader, role=ParticipationRole.LEADER)
        tc_participation = f.ParticipationFactory(action=action, organisation=tc_in)
        entry = dict(action=action, result_type=arrests, value=Decimal(5))
        rows[level] = {
            ("action", "action"): action,
            ("plan", "plan"): plan,
            ("participation", "tc_participation"): tc_participation,
            ("result", "tc_returned"): f.ResultEntryFactory(
                organisation=tc_in, status=EntryStatus.RETURNED, year=2022, **entry
            ),
            ("result", "tc_validated"): f.ResultEntryFactory(
                organisation=tc_in, status=EntryStatus.VALIDATED, year=2023, **entry
            ),
            ("result", "leader_draft"): f.ResultEntryFactory(
                organisation=leader, status=EntryStatus.DRAFT, year=2022, **entry
            ),
        }
    user = f.UserFactory
    users = {
        "superuser": user(username="root", organisation=None, is_superuser=True, is_staff=True),
        "hub_analyst": user(username="hub", organisation=hub, role=UserRole.ANALYST),
        "driver_ms": user(username="driver", organisation=driver),
        "uninvolved_ms": user(username="uninvolved", organisation=uninvolved),
        "agency": user(username="agency", organisation=agency),
        "tc_participant": user(username="tcin", organisation=tc_in),
        "tc_outsider": user(username="tcout", organisation=tc_out),
    }
    return rows, users


QUERYSET = {"view": "visible_to", "change": "editable_by", "delete": "deletable_by"}


def test_access_matrix(world):
    rows, users = world
    unexpected_allows, unexpected_denials, checked = [], [], 0
    for (model_name, row_name), table in EXPECTED.items():
        model = MODELS[model_name]
        for op, by_role in table.items():
            for role, by_level in by_role.items():
                user = users[role]
                user = type(user).objects.get(pk=user.pk)  # fresh permission caches
                allowed_rows = set(getattr(model.objects, QUERYSET[op])(user).values_list("pk", flat=True))
                for level, expected in by_level.items():
                    obj = rows[level][(model_name, row_name)]
                    perm = f"oap.{op}_{model._meta.model_name}"
                    answers = {
                        "queryset": obj.pk in allowed_rows,
                        "has_perm": user.has_perm(perm, obj),
                        "can": access.can(user, op, obj),
                    }
                    checked += 1
                    for how, answer in answers.items():
                        case = f"{role} {op} {model_name}:{row_name} [{level}] via {how}"
                        if answer and not expected:
                            unexpected_allows.append(case)
                        elif expected and not answer:
                            unexpected_denials.append(case)
    assert checked == len(ROLES) * len(LEVELS) * 3 * len(EXPECTED)
    assert unexpected_allows == [], f"{len(unexpected_allows)} unexpected allows"
    assert unexpected_denials == [], f"{len(unexpected_denials)} unexpected denials"


def test_inactive_and_anonymous_users_see_nothing(world):
    from django.contrib.auth.models import AnonymousUser

    _rows, users = world
    inactive = users["driver_ms"]
    inactive.is_active = False
    inactive.save()
    for model in MODELS.values():
        assert not model.objects.visible_to(AnonymousUser()).exists()
        assert not model.objects.visible_to(inactive).exists()


def test_a_user_without_organisation_sees_nothing(world):
    loner = f.UserFactory(username="loner", organisation=None, role=UserRole.COORDINATOR)
    for model in MODELS.values():
        assert not model.objects.visible_to(loner).exists()


def test_viewer_role_sees_but_changes_nothing(world):
    _rows, users = world
    viewer = f.UserFactory(
        username="viewer", organisation=users["driver_ms"].organisation, role=UserRole.VIEWER
    )
    assert OperationalAction.objects.visible_to(viewer).count() == 3
    for model in MODELS.values():
        assert not model.objects.editable_by(viewer).exists()
        assert not model.objects.deletable_by(viewer).exists()


def test_leader_manages_its_action_and_validates(world):
    rows, _users = world
    leader = f.UserFactory(
        username="leader",
        organisation=rows["eu"][("action", "action")].participations.get(role="leader").organisation,
    )
    assert OperationalAction.objects.editable_by(leader).count() == 3
    assert ResultEntry.objects.restrict(leader, "validate").count() == 3  # the validated ones may be reopened
