"""The demo data set (`manage.py load_demo`): reference data, actions, users and exact totals.

The demo is loaded once for the module inside a transaction that is rolled back at the end;
each test runs in its own savepoint within it. The present (2024–2026) is tested in
`test_demo_present.py`, the published factsheets in `tests/reporting/test_demo.py`.
"""

import hashlib
import os
import subprocess
import sys
from collections import Counter, defaultdict
from decimal import Decimal
from io import StringIO

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.db.models import Count, Exists, OuterRef, Q, Sum
from django.test import RequestFactory, override_settings

from oap import demo, services
from oap.choices import (
    ActionStatus,
    EntryStatus,
    HandlingLevel,
    OrganisationKind,
    ParticipationRole,
    ResultCategory,
    ResultUnit,
    UserRole,
)
from oap.models import (
    CommonHorizontalStrategicGoal,
    Cycle,
    OperationalAction,
    OperationalActionPlan,
    Organisation,
    Participation,
    PriorityCrimeArea,
    ResultEntry,
    ResultType,
    User,
)
from tests.published import ASSETS_OVER_EUR, DRUGS_OVER_KG, EXACT

pytestmark = pytest.mark.django_db

FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def loaded(demo_data):
    return demo_data


PUBLISHED = [2022, 2023]


def validated(year):
    return ResultEntry.objects.filter(year=year, status=EntryStatus.VALIDATED)


def published_actions():
    """The actions of the 2022–2023 plans, whose figures are the published ones."""
    return OperationalAction.objects.filter(plan__start_year=2022, plan__end_year=2023)


def spaced(text: str) -> str:
    """Output with the formatter's narrow and no-break spaces as plain spaces."""
    return text.replace("\u202f", " ").replace("\u00a0", " ")


def involved(code):
    """Actions in which the organisation `code` takes part, in any role."""
    return Q(participations__organisation__code=code)


# --- Totals -------------------------------------------------------------------------------------


@pytest.mark.parametrize("year", [2022, 2023])
def test_headline_counts_are_exact(loaded, year):
    for code, expected in EXACT[year].items():
        total = validated(year).filter(result_type__code=code).aggregate(total=Sum("value"))["total"]
        assert total == Decimal(expected), code


@pytest.mark.parametrize("year", [2022, 2023])
def test_assets_and_drugs_are_just_over_the_published_figures(loaded, year):
    assets = validated(year).filter(result_type__code="assets_seized_eur").aggregate(t=Sum("value"))["t"]
    drugs = validated(year).filter(result_type__category=ResultCategory.DRUGS).aggregate(t=Sum("value"))["t"]
    assert ASSETS_OVER_EUR[year] < assets < ASSETS_OVER_EUR[year] * Decimal("1.01")
    assert DRUGS_OVER_KG[year] < drugs < DRUGS_OVER_KG[year] * Decimal("1.01")


def test_summary_prints_the_totals(loaded):
    out = spaced(loaded)
    assert f"{OperationalAction.objects.count()} actions" in out
    assert "2022: arrests 9 922 (of which migrant smugglers 3 646), victims 4 019" in out
    assert "2023: arrests 13 871 (of which migrant smugglers 6 801), victims 7 500" in out
    assert "investigations 15 644" in out
    drafts = ResultEntry.objects.filter(status=EntryStatus.DRAFT).count()
    assert f"2024–2026 (open years): {drafts} draft, " in out


# --- Result entries -----------------------------------------------------------------------------


def test_entries_are_validated_whole_year_figures_of_2022_and_2023(loaded):
    assert set(ResultEntry.objects.values_list("year", flat=True).distinct()) == {
        2022,
        2023,
        2024,
        2025,
        2026,
    }
    entries = ResultEntry.objects.filter(year__in=PUBLISHED)
    analyst = User.objects.get(username="europol.analyst")
    assert entries.count() > 1000
    assert not entries.exclude(action__in=published_actions()).exists()
    assert not ResultEntry.objects.filter(action__in=published_actions()).exclude(year__in=PUBLISHED).exists()
    assert not entries.exclude(status=EntryStatus.VALIDATED).exists()
    assert not entries.exclude(validated_by=analyst).exists()
    assert not entries.filter(Q(validated_at__isnull=True) | Q(submitted_at__isnull=True)).exists()
    assert not entries.filter(half_year__isnull=False).exists()
    assert not entries.filter(value__lte=0).exists()
    for value in entries.filter(result_type__unit=ResultUnit.COUNT).values_list("value", flat=True):
        assert value == value.to_integral_value()


def test_entries_are_entered_by_the_organisations_demo_coordinator(loaded):
    es = User.objects.get(username="es.coordinator")
    assert not ResultEntry.objects.filter(organisation__code="ES").exclude(entered_by=es).exists()
    assert ResultEntry.objects.filter(organisation__code="CO", entered_by__username="co.partner").exists()
    assert not ResultEntry.objects.filter(organisation__code="FR", entered_by__isnull=False).exists()


def test_only_participating_organisations_report(loaded):
    taking_part = Participation.objects.filter(
        action=OuterRef("action"), organisation=OuterRef("organisation")
    )
    assert not ResultEntry.objects.filter(~Exists(taking_part)).exists()
    reporting_kinds = set(ResultEntry.objects.values_list("organisation__kind", flat=True).distinct())
    assert reporting_kinds == {OrganisationKind.MEMBER_STATE, OrganisationKind.THIRD_COUNTRY}
    third = set(
        ResultEntry.objects.filter(organisation__kind=OrganisationKind.THIRD_COUNTRY)
        .values_list("organisation__code", flat=True)
        .distinct()
    )
    assert {"CO", "BR", "EC", "RS", "AL", "UA", "TR"} <= third


def test_results_only_for_years_an_action_runs_in(loaded):
    years = defaultdict(set)
    for code, year in ResultEntry.objects.values_list("action__code", "year").distinct():
        years[code].add(year)
    for action in OperationalAction.objects.filter(code__in=years):
        assert action.status not in (ActionStatus.PLANNED, ActionStatus.CANCELLED), action.code
        assert all(action.start.year <= year <= action.end.year for year in years[action.code]), action.code
    assert len(years) >= 70


def test_counters_are_reported_under_the_plausible_plans(loaded):
    def plans(**filters):
        entries = ResultEntry.objects.filter(year__in=PUBLISHED, **filters)
        return set(entries.values_list("action__plan__code", flat=True))

    assert plans(result_type__code="migrant_smugglers_arrested") == {"MS"}
    assert plans(result_type__code="victims_identified") == {"THB", "CSE"}
    assert plans(result_type__category=ResultCategory.DRUGS) == {"DRUGS-CCH", "DRUGS-SYN"}
    assert plans(result_type__code="synthetic_drugs_kg") == {"DRUGS-SYN"}
    assert len(plans(result_type__code="arrests")) == 15
    assert len(plans(result_type__code="investigations_initiated")) == 15
    for year in (2022, 2023):
        by_drug = dict(
            validated(year)
            .filter(result_type__category=ResultCategory.DRUGS)
            .values_list("result_type__code")
            .annotate(total=Sum("value"))
        )
        assert by_drug["cocaine_kg"] > by_drug["heroin_kg"]
        assert by_drug["cannabis_kg"] > by_drug["heroin_kg"]
        assert by_drug["cocaine_kg"] + by_drug["cannabis_kg"] > sum(by_drug.values()) / 2
        assets = dict(
            validated(year)
            .filter(result_type__code="assets_seized_eur")
            .values_list("action__plan__priority__code")
            .annotate(total=Sum("value"))
        )
        assert assets["FRAUD"] + assets["HRCN"] > sum(assets.values()) / 2


def test_of_which_never_exceeds_its_parent(loaded):
    children = ResultType.objects.filter(parent__isnull=False)
    assert {child.code for child in children} >= {"migrant_smugglers_arrested", "minor_victims_identified"}
    values = {
        (e.action_id, e.organisation_id, e.result_type_id, e.year, e.half_year): e.value
        for e in ResultEntry.objects.all()
    }
    checked = 0
    for child in children:
        for (action, org, type_id, year, half), value in values.items():
            if type_id == child.pk:
                parent = values.get((action, org, child.parent_id, year, half))
                assert parent is not None and parent >= value, (action, org, child.code, year)
                checked += 1
    assert checked > 50


# --- Actions and participants -------------------------------------------------------------------


def test_actions_have_one_leader_and_two_to_fifteen_organisations(loaded):
    actions = OperationalAction.objects.annotate(
        leaders=Count(
            "participations", filter=Q(participations__role=ParticipationRole.LEADER), distinct=True
        ),
        orgs=Count("participations", distinct=True),
        goals=Count("chsgs", distinct=True),
    )
    assert 100 <= actions.count() <= 120
    assert 70 <= published_actions().count() <= 80
    for action in actions.select_related("plan"):
        assert action.leaders == 1, action.code
        assert 2 <= action.orgs <= 15, action.code
        assert 1 <= action.goals <= 3, action.code
        assert action.plan.code == action.code.split(" ")[0]
        assert action.plan.start_year <= action.start.year <= action.end.year <= action.plan.end_year
    # every plan of the reference data has demo actions; the 2022–2023 plans at least four
    per_plan = Counter(actions.values_list("plan__code", flat=True))
    assert set(per_plan) == set(OperationalActionPlan.objects.values_list("code", flat=True))
    assert min(Counter(published_actions().values_list("plan__code", flat=True)).values()) >= 4


def test_handling_levels_are_mixed(loaded):
    levels = Counter(OperationalAction.objects.values_list("handling", flat=True))
    total = sum(levels.values())
    assert levels[HandlingLevel.EU] > total / 2
    assert 0.10 <= levels[HandlingLevel.PARTICIPANTS] / total <= 0.20
    assert 0.15 <= levels[HandlingLevel.PARTNERS] / total <= 0.25
    assert set(Counter(OperationalAction.objects.values_list("status", flat=True))) <= set(
        ActionStatus.values
    )


def test_handling_facts_for_partner_country_access_tests(loaded):
    """The cases the access tests rely on: a partner sees its own actions, whatever their level."""
    actions = OperationalAction.objects.all()
    with_co, without_co = actions.filter(involved("CO")), actions.exclude(involved("CO"))
    assert with_co.filter(handling=HandlingLevel.PARTICIPANTS).exists()
    assert with_co.filter(handling=HandlingLevel.EU).exists()
    assert without_co.filter(handling=HandlingLevel.PARTNERS).exists()
    assert without_co.filter(handling=HandlingLevel.EU).count() >= 2
    assert without_co.filter(handling=HandlingLevel.PARTICIPANTS).count() >= 2

    with_rs, without_rs = actions.filter(involved("RS")), actions.exclude(involved("RS"))
    assert with_rs.filter(handling=HandlingLevel.PARTICIPANTS).exists()
    assert with_rs.filter(handling=HandlingLevel.PARTNERS).exists()
    assert without_rs.filter(handling=HandlingLevel.PARTNERS).exists()
    assert without_rs.filter(handling=HandlingLevel.EU).count() >= 2
    assert without_rs.filter(handling=HandlingLevel.PARTICIPANTS).count() >= 2


def test_spain_and_germany_lead_join_and_stay_out(loaded):
    actions = OperationalAction.objects.all()
    for org in ("ES", "DE"):
        led = actions.filter(
            participations__organisation__code=org, participations__role=ParticipationRole.LEADER
        )
        joined = actions.filter(
            participations__organisation__code=org,
            participations__role__in=[ParticipationRole.CO_LEADER, ParticipationRole.PARTICIPANT],
        )
        assert led.count() >= 3, org
        assert joined.count() >= 3, org
    assert actions.exclude(involved("ES")).exclude(involved("DE")).count() >= 3


def test_third_countries_take_part_where_plausible(loaded):
    def orgs_in(plan):
        return set(
            Participation.objects.filter(action__plan__code=plan).values_list("organisation__code", flat=True)
        )

    assert {"CO", "BR", "EC", "CL"} <= orgs_in("DRUGS-CCH")
    assert {"RS", "AL", "BA", "MK", "XK"} <= orgs_in("MS")
    assert {"RS", "AL", "BA", "ME", "MK", "XK"} <= orgs_in("FIREARMS")
    assert {"UA", "MD", "RS"} <= orgs_in("THB")
    cocaine = OperationalAction.objects.filter(plan__code="DRUGS-CCH", title__icontains="cocaine")
    assert cocaine.filter(involved("CO")).count() >= 2


# --- Reference data -----------------------------------------------------------------------------


def test_reference_data(loaded):
    assert list(Cycle.objects.values_list("code", flat=True)) == ["2022-2025", "2026-2029"]
    assert Cycle.objects.get(code="2022-2025").name == "EMPACT 2022–2025"
    assert PriorityCrimeArea.objects.filter(cycle__code="2022-2025").count() == 10
    assert PriorityCrimeArea.objects.filter(cycle__code="2026-2029").count() == 7
    assert set(PriorityCrimeArea.objects.filter(cycle__code="2022-2025").values_list("code", flat=True)) == {
        "HRCN",
        "CYBER",
        "THB",
        "CSE",
        "MS",
        "DRUGS",
        "FRAUD",
        "OPC",
        "ENVI",
        "FIREARMS",
    }
    # OAPs are adopted for two years: the same 15 OAPs for 2022–2023 and 2024–2025
    cycle_plans = OperationalActionPlan.objects.filter(priority__cycle__code="2022-2025")
    for years in ((2022, 2023), (2024, 2025)):
        plans = cycle_plans.filter(start_year=years[0], end_year=years[1])
        assert plans.count() == 15
        assert plans.filter(priority__code="DRUGS").count() == 2
        assert plans.filter(priority__code="FRAUD").count() == 5
    assert cycle_plans.count() == 30
    # the running cycle's first OAPs, 2026–2027: every one of its 7 priorities has at least one
    running = OperationalActionPlan.objects.filter(priority__cycle__code="2026-2029")
    assert set(running.values_list("start_year", "end_year").distinct()) == {(2026, 2027)}
    assert running.values("priority").distinct().count() == 7
    for plan in OperationalActionPlan.objects.all():
        assert plan.driver.kind == OrganisationKind.MEMBER_STATE, plan.code
        assert 1 <= plan.co_drivers.count() <= 3, plan.code
    assert Organisation.objects.filter(kind=OrganisationKind.MEMBER_STATE).count() == 27
    assert Organisation.objects.get(code="GR").name == "Greece"
    assert not Organisation.objects.filter(code__in=["EL", "NO", "CH", "IS", "LI"]).exists()
    assert list(Organisation.objects.filter(is_hub=True).values_list("code", flat=True)) == ["EUROPOL"]
    assert Organisation.objects.get(code="XK").kind == OrganisationKind.THIRD_COUNTRY
    assert Organisation.objects.get(code="INTERPOL").kind == OrganisationKind.INTERNATIONAL_ORGANISATION
    assert Organisation.objects.get(code="COM").kind == OrganisationKind.EU_INSTITUTION
    assert list(CommonHorizontalStrategicGoal.objects.values_list("code", flat=True)) == [
        f"CHSG-{n}" for n in range(1, 9)
    ]


def test_counter_catalogue(loaded):
    types = {rt.code: rt for rt in ResultType.objects.select_related("parent")}
    required = {
        "arrests", "migrant_smugglers_arrested", "victims_identified", "minor_victims_identified",
        "investigations_initiated", "suspects_identified", "high_value_targets", "assets_seized_eur",
        "cocaine_kg", "cannabis_kg", "heroin_kg", "synthetic_drugs_kg", "precursors_kg",
        "firearms_seized", "ammunition_rounds", "explosives_kg", "forged_documents",
        "illegal_entries_detected", "waste_seized_t", "cigarettes_units", "checks_persons",
        "checks_vehicles", "checks_parcels", "checks_premises", "officers_deployed",
    }  # fmt: skip
    assert required <= set(types)
    assert types["migrant_smugglers_arrested"].parent.code == "arrests"
    assert types["minor_victims_identified"].parent.code == "victims_identified"
    drugs = {code for code, rt in types.items() if rt.category == ResultCategory.DRUGS}
    assert drugs == {"cocaine_kg", "cannabis_kg", "heroin_kg", "synthetic_drugs_kg", "precursors_kg"}
    assert all(types[code].unit == ResultUnit.KG for code in drugs)
    assert (types["assets_seized_eur"].unit, types["assets_seized_eur"].category) == ("eur", "assets")
    assert types["ammunition_rounds"].unit == ResultUnit.ROUNDS
    assert types["waste_seized_t"].unit == ResultUnit.TONNES
    assert types["cigarettes_units"].unit == ResultUnit.UNITS
    headline = list(ResultType.objects.values_list("code", flat=True)[:6])
    assert headline == [
        "arrests",
        "migrant_smugglers_arrested",
        "victims_identified",
        "minor_victims_identified",
        "investigations_initiated",
        "assets_seized_eur",
    ]


# --- Users --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("username", "org", "role"),
    [
        ("europol.analyst", "EUROPOL", UserRole.ANALYST),
        ("es.coordinator", "ES", UserRole.COORDINATOR),
        ("de.coordinator", "DE", UserRole.COORDINATOR),
        ("co.partner", "CO", UserRole.COORDINATOR),
        ("rs.partner", "RS", UserRole.COORDINATOR),
    ],
)
def test_demo_users_sign_in_with_the_demo_password(loaded, username, org, role):
    request = RequestFactory().post("/admin/login/")
    user = authenticate(request, username=username, password=settings.DEMO_PASSWORD)
    assert user is not None and user.username == username
    assert (user.organisation.code, user.role, user.is_staff, user.is_superuser) == (org, role, True, False)
    assert user.email == f"{username}@example.org" and user.first_name and user.last_name
    assert authenticate(request, username=username, password="wrong-password") is None


def test_admin_is_a_superuser(loaded):
    request = RequestFactory().post("/admin/login/")
    admin = authenticate(request, username="admin", password=settings.DEMO_PASSWORD)
    assert admin is not None and admin.is_superuser and admin.is_staff


# --- Idempotency and determinism ----------------------------------------------------------------


def _snapshot():
    counts = {model._meta.label: model._default_manager.count() for model in apps.get_models()}
    entries = list(ResultEntry.objects.order_by("pk").values_list("pk", "value", "updated_at", "entered_at"))
    actions = list(
        OperationalAction.objects.order_by("pk").values_list("pk", "code", "status", "handling", "updated_at")
    )
    participations = list(Participation.objects.order_by("pk").values_list("pk", "action_id", "role"))
    users = list(User.objects.order_by("pk").values_list("pk", "password", "email", "role"))
    return counts, entries, actions, participations, users


def test_loading_twice_changes_nothing(loaded):
    before = _snapshot()
    out = StringIO()
    with override_settings(PASSWORD_HASHERS=FAST_HASHERS):
        call_command("load_demo", stdout=out)
    assert _snapshot() == before
    assert "3 created" not in out.getvalue()
    assert out.getvalue().count("0 created, 0 updated, 0 deleted") == 6  # users … entries, periods
    assert out.getvalue().count("already published") == 2


def test_loading_repairs_a_changed_figure_and_a_changed_action(loaded):
    entry = ResultEntry.objects.filter(result_type__code="arrests", year=2023).order_by("pk").first()
    original = entry.value
    ResultEntry.objects.filter(pk=entry.pk).update(value=original + 5)
    OperationalAction.objects.filter(pk=entry.action_id).update(title="Changed by hand")
    with override_settings(PASSWORD_HASHERS=FAST_HASHERS):
        call_command("load_demo", stdout=StringIO())
    entry.refresh_from_db()
    assert entry.value == original
    assert OperationalAction.objects.get(pk=entry.action_id).title != "Changed by hand"
    assert validated(2023).filter(result_type__code="arrests").aggregate(t=Sum("value"))["t"] == 13871


def test_loading_keeps_entries_recorded_by_hand_and_the_period_rule(loaded):
    """A demo draft submitted by hand is a draft again; entries recorded by hand stay, and the demo
    adds no whole-year figure beside the half-years someone recorded instead of it."""
    colombia = User.objects.get(username="co.partner")
    draft = (
        ResultEntry.objects.filter(organisation__code="CO", status=EntryStatus.DRAFT).order_by("pk").first()
    )
    services.result_submit(entry=draft, by=colombia)
    returned = (
        ResultEntry.objects.filter(
            organisation__code="CO", status=EntryStatus.RETURNED, half_year__isnull=True
        )
        .select_related("action", "organisation", "result_type")
        .order_by("pk")
        .first()
    )
    where = {
        "action": returned.action,
        "organisation": returned.organisation,
        "result_type": returned.result_type,
        "year": returned.year,
    }
    services.result_delete(entry=returned, by=colombia)
    halves = [services.result_record(by=colombia, half_year=h, value=Decimal(h), **where) for h in (1, 2)]
    out = StringIO()
    with override_settings(PASSWORD_HASHERS=FAST_HASHERS):
        call_command("load_demo", stdout=out)
    assert "entries: 0 created, 1 updated, 0 deleted" in out.getvalue()
    draft.refresh_from_db()
    assert (draft.status, draft.submitted_at) == (EntryStatus.DRAFT, None)
    kept = ResultEntry.objects.filter(**where)
    assert sorted(kept.values_list("pk", "half_year", "value")) == [
        (e.pk, e.half_year, e.value) for e in halves
    ]


def test_loading_removes_figures_the_demo_no_longer_makes(loaded):
    """A figure the demo created under a place it no longer makes is removed (and its own place
    made again); a figure someone recorded in a demo action stays."""
    spain = User.objects.get(username="es.coordinator")
    draft = (
        ResultEntry.objects.filter(organisation__code="ES", status=EntryStatus.DRAFT)
        .select_related("action")
        .order_by("pk")
        .first()
    )
    reported = set(draft.action.results.filter(organisation__code="ES").values_list("result_type", flat=True))
    unused = ResultType.objects.exclude(pk__in=reported).order_by("code")
    ResultEntry.objects.filter(pk=draft.pk).update(result_type=unused[0])  # as an older demo made it
    own = services.result_record(
        by=spain,
        action=draft.action,
        organisation=spain.organisation,
        result_type=unused[1],
        year=2026,
        value=4,
    )
    out = StringIO()
    with override_settings(PASSWORD_HASHERS=FAST_HASHERS):
        call_command("load_demo", stdout=out)
    assert "entries: 1 created, 0 updated, 1 deleted" in out.getvalue()
    assert not ResultEntry.objects.filter(pk=draft.pk).exists()
    assert ResultEntry.objects.filter(pk=own.pk, value=4).exists()
    assert ResultEntry.objects.filter(
        action=draft.action, organisation=draft.organisation, result_type=draft.result_type_id,
        year=draft.year, half_year=draft.half_year, status=EntryStatus.DRAFT, value=draft.value,
    ).exists()  # fmt: skip


def _digest(figures):
    lines = "\n".join(f"{k}={v}" for k, v in sorted(figures.items(), key=lambda item: repr(item[0])))
    return hashlib.sha256(lines.encode()).hexdigest()


#: the demo's figures (published and present) computed from the files alone, in another process
DIGEST_SCRIPT = """
import django; django.setup()
import hashlib, pathlib, yaml
from django.conf import settings
from oap import demo
reference = yaml.safe_load(open(pathlib.Path(settings.BASE_DIR) / "fixtures" / "reference.yaml"))
fields = [o["fields"] for o in reference]
kinds = {f["code"]: f["kind"] for o, f in zip(reference, fields) if o["model"] == "oap.organisation"}
catalogue = {f["code"]: (f["unit"], (f["parent"] or [None])[0]) for o, f in zip(reference, fields)
             if o["model"] == "oap.resulttype"}
figures = demo.published_entries(demo.read_demo_actions(), kinds)
figures.update(demo.present_entries(*demo.read_present(), kinds, catalogue))
lines = "\\n".join(f"{k}={v}" for k, v in sorted(figures.items(), key=lambda item: repr(item[0])))
print(hashlib.sha256(lines.encode()).hexdigest())
"""


def test_figures_are_deterministic_across_processes(loaded):
    kinds = dict(Organisation.objects.values_list("code", "kind"))
    catalogue = {rt.code: (rt.unit, rt.parent.code if rt.parent else None) for rt in ResultType.objects.all()}
    published = demo.compute_results(demo.read_demo_actions(), kinds)
    assert published == demo.compute_results(demo.read_demo_actions(), kinds)
    figures = demo.published_entries(demo.read_demo_actions(), kinds)
    figures.update(demo.present_entries(*demo.read_present(), kinds, catalogue))
    env = {**os.environ, "PYTHONHASHSEED": "12345", "DJANGO_SETTINGS_MODULE": "empact_tracker.settings"}
    result = subprocess.run(
        [sys.executable, "-c", DIGEST_SCRIPT], env=env, cwd=settings.BASE_DIR, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == _digest(figures)


# --- Pure helpers -------------------------------------------------------------------------------


def test_apportion_is_exact_and_proportional():
    assert demo.apportion(10, [1, 1, 1]) == [4, 3, 3]
    assert demo.apportion(0, [1, 2]) == [0, 0]
    shares = demo.apportion(9922, [0.1, 2.5, 3.333, 7.0, 0.0001])
    assert sum(shares) == 9922
    assert shares[3] > shares[2] > shares[1] > shares[0] >= shares[4]


def test_demo_actions_file_problems_are_reported(tmp_path):
    bad = tmp_path / "actions.yaml"
    bad.write_text(
        "MS:\n"
        "  - {code: MS 9.9, title: T, status: finished, start: 2022-01-01, end: 2021-01-01,\n"
        "     leader: AT, participants: [AT], colour: red}\n",
        encoding="utf-8",
    )
    with pytest.raises(ValueError) as excinfo:
        demo.read_demo_actions(bad)
    message = str(excinfo.value)
    for fragment in ("unknown keys ['colour']", "listed twice", "unknown status 'finished'", "dates must"):
        assert fragment in message


def test_loading_restores_the_demo_participants(loaded):
    action = OperationalAction.objects.get(code="DRUGS-CCH 1.2")
    leader = action.participations.get(role=ParticipationRole.LEADER)
    action.participations.filter(organisation__code="CO").update(role=ParticipationRole.PARTICIPANT)
    Participation.objects.create(
        action=action, organisation=Organisation.objects.get(code="MX"), role=ParticipationRole.PARTICIPANT
    )
    leader.delete()
    out = StringIO()
    with override_settings(PASSWORD_HASHERS=FAST_HASHERS):
        call_command("load_demo", stdout=out)
    roles = dict(action.participations.values_list("organisation__code", "role"))
    assert roles == {"ES": "leader", "CO": "co_leader", "BR": "participant", "EC": "participant",
                     "PT": "participant", "EUROPOL": "participant"}  # fmt: skip
    assert "participations: 1 created, 1 updated, 1 deleted" in out.getvalue()
