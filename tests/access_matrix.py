"""The access matrix shared by the tests of every entry point (querysets, admin, API).

Roles × handling levels × models × {view, change, delete}: the expected answers are written
here as a table, not derived from the code under test.
"""

from decimal import Decimal

import pytest

from oap.choices import EntryStatus, OrganisationKind, ParticipationRole, UserRole
from oap.models import OperationalAction, OperationalActionPlan, Participation, ResultEntry
from tests import factories as f

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
        # the third-country participant's entry, sent back to it for correction: not validated,
        # so seen by its organisation, those who may validate it (the plan's driver) and the hub
        "view": {
            "superuser": same(Y),
            "hub_analyst": same(Y),
            "driver_ms": same(Y),
            "uninvolved_ms": same(N),
            "agency": same(N),
            "tc_participant": same(Y),
            "tc_outsider": same(N),
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
        # not validated: its organisation, its reviewers (the plan's driver) and the hub
        "view": {
            "superuser": same(Y),
            "hub_analyst": same(Y),
            "driver_ms": same(Y),
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
    ("result", "tc_submitted"): {
        "view": {
            "superuser": same(Y),
            "hub_analyst": same(Y),
            "driver_ms": same(Y),
            "uninvolved_ms": same(N),
            "agency": same(N),
            "tc_participant": same(Y),
            "tc_outsider": same(N),
        },
        "change": {role: same(N) for role in ROLES},  # it waits for validation
        # the leader's organisation, the plan's drivers and the hub validate; never the reporter
        "validate": {
            "superuser": same(Y),
            "hub_analyst": same(Y),
            "driver_ms": same(Y),
            "uninvolved_ms": same(N),
            "agency": same(N),
            "tc_participant": same(N),
            "tc_outsider": same(N),
        },
    },
    ("result", "driver_submitted"): {
        # the plan driver's own figure (it takes part too): four eyes — another validates it
        "view": {
            "superuser": same(Y),
            "hub_analyst": same(Y),
            "driver_ms": same(Y),
            "uninvolved_ms": same(N),
            "agency": same(N),
            "tc_participant": same(N),
            "tc_outsider": same(N),
        },
        "change": {role: same(N) for role in ROLES},
        "validate": {
            "superuser": same(Y),
            "hub_analyst": same(Y),
            "driver_ms": same(N),
            "uninvolved_ms": same(N),
            "agency": same(N),
            "tc_participant": same(N),
            "tc_outsider": same(N),
        },
    },
    ("result", "hub_submitted"): {
        # the hub's own figure: the hub does not validate it; the plan's driver does
        "view": {
            "superuser": same(Y),
            "hub_analyst": same(Y),
            "driver_ms": same(Y),
            "uninvolved_ms": same(N),
            "agency": same(N),
            "tc_participant": same(N),
            "tc_outsider": same(N),
        },
        "change": {role: same(N) for role in ROLES},
        "validate": {
            "superuser": same(Y),
            "hub_analyst": same(N),
            "driver_ms": same(Y),
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
    """One plan per handling level, each holding one action led by LD with the third country CO in it."""
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
        f.ParticipationFactory(action=action, organisation=driver)
        f.ParticipationFactory(action=action, organisation=hub)
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
            ("result", "tc_submitted"): f.ResultEntryFactory(
                organisation=tc_in, status=EntryStatus.SUBMITTED, year=2025, **entry
            ),
            ("result", "driver_submitted"): f.ResultEntryFactory(
                organisation=driver, status=EntryStatus.SUBMITTED, year=2025, **entry
            ),
            ("result", "hub_submitted"): f.ResultEntryFactory(
                organisation=hub, status=EntryStatus.SUBMITTED, year=2025, **entry
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
