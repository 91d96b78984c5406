"""The result workflow services: record → submit → validate / return, year locks, history."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from oap import services
from oap.choices import EntryStatus, HandlingLevel, OrganisationKind, ParticipationRole, UserRole
from oap.models import ResultEntry, YearLock
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(db):
    org = f.OrganisationFactory
    hub = org(code="EUROPOL", kind=OrganisationKind.EU_AGENCY, is_hub=True)
    es = org(code="ES")
    de = org(code="DE")
    fr = org(code="FR")
    co = org(code="CO", kind=OrganisationKind.THIRD_COUNTRY)
    plan = f.PlanFactory(code="DRUGS-CCH", driver=fr)
    action = f.ActionFactory(plan=plan, code="DRUGS-CCH 1.1", handling=HandlingLevel.EU)
    f.ParticipationFactory(action=action, organisation=es, role=ParticipationRole.LEADER)
    f.ParticipationFactory(action=action, organisation=de)
    f.ParticipationFactory(action=action, organisation=co)
    return {
        "action": action,
        "arrests": f.ResultTypeFactory(code="arrests"),
        "es": f.UserFactory(username="es", organisation=es),
        "de": f.UserFactory(username="de", organisation=de),
        "fr": f.UserFactory(username="fr", organisation=fr),
        "co": f.UserFactory(username="co", organisation=co),
        "hub": f.UserFactory(username="hub", organisation=hub, role=UserRole.ANALYST),
        "viewer": f.UserFactory(username="viewer", organisation=de, role=UserRole.VIEWER),
        "orgs": {"es": es, "de": de, "fr": fr, "co": co},
    }


def record(case, who="de", org=None, year=2023, value=7):
    return services.result_record(
        by=case[who],
        action=case["action"],
        organisation=case["orgs"][org or who],
        result_type=case["arrests"],
        year=year,
        value=Decimal(value),
    )


def last_history_user(entry):
    return entry.history.order_by("-history_date", "-history_id").first().history_user


def test_full_cycle_with_history_naming_each_user(case):
    entry = record(case)
    assert entry.status == EntryStatus.DRAFT and entry.entered_by == case["de"]
    assert last_history_user(entry) == case["de"]
    entry = services.result_update(entry=entry, by=case["de"], value=Decimal(9))
    entry = services.result_submit(entry=entry, by=case["de"])
    assert entry.status == EntryStatus.SUBMITTED and entry.submitted_at
    entry = services.result_return(entry=entry, by=case["es"], reason="Count only arrests in 2023.")
    assert entry.status == EntryStatus.RETURNED and entry.return_reason
    assert last_history_user(entry) == case["es"]
    entry = services.result_submit(entry=entry, by=case["de"])
    entry = services.result_validate(entry=entry, by=case["hub"])
    assert entry.status == EntryStatus.VALIDATED and entry.validated_by == case["hub"]
    users = [h.history_user.username for h in entry.history.order_by("history_date", "history_id")]
    assert users == ["de", "de", "de", "es", "de", "hub"]


@pytest.mark.parametrize("who", ["es", "fr", "hub"])  # leader, plan driver, hub
def test_leader_driver_and_hub_validate(case, who):
    entry = services.result_submit(entry=record(case), by=case["de"])
    assert services.result_validate(entry=entry, by=case[who]).status == EntryStatus.VALIDATED


@pytest.mark.parametrize("who", ["de", "co", "viewer"])
def test_others_cannot_validate_nor_see_a_figure_before_validation(case, who):
    entry = services.result_submit(entry=record(case, who="es"), by=case["es"])
    with pytest.raises(services.Hidden):  # another organisation's submitted figure: not theirs to see
        services.result_validate(entry=entry, by=case[who])
    assert ResultEntry.objects.get(pk=entry.pk).status == EntryStatus.SUBMITTED


@pytest.mark.parametrize("reporter", ["es", "hub_coordinator"])
def test_nobody_validates_their_own_organisations_figure(case, reporter):
    """Four eyes: the leader (ES) and the hub take part too; their own figures go to another."""
    hub = case["hub"].organisation
    f.ParticipationFactory(action=case["action"], organisation=hub)
    case["hub_coordinator"] = f.UserFactory(username="hub.coordinator", organisation=hub)
    case["orgs"]["hub_coordinator"] = hub
    own, other = {"es": ("es", "hub"), "hub_coordinator": ("hub", "es")}[reporter]
    entry = services.result_submit(entry=record(case, who=reporter), by=case[reporter])
    with pytest.raises(services.Refused) as refused:
        services.result_validate(entry=entry, by=case[own])
    assert "reported this figure" in str(refused.value)
    assert ResultEntry.objects.get(pk=entry.pk).status == EntryStatus.SUBMITTED
    assert services.result_validate(entry=entry, by=case[other]).status == EntryStatus.VALIDATED


def test_a_step_on_an_entry_that_changed_meanwhile_is_a_conflict_naming_its_state(case):
    """A validator racing another reviewer's return gets 409 (the state), not 403 (who)."""
    entry = services.result_submit(entry=record(case), by=case["de"])
    stale = ResultEntry.objects.get(pk=entry.pk)  # what the second reviewer's page still shows
    services.result_return(entry=entry, by=case["hub"], reason="Check the figure")
    with pytest.raises(services.Conflict) as conflict:
        services.result_validate(entry=stale, by=case["es"])
    assert "this one is returned" in " ".join(conflict.value.messages)


def test_coordinator_records_only_for_own_organisation(case):
    with pytest.raises(PermissionDenied):
        record(case, who="de", org="es")
    assert not ResultEntry.objects.exists()


def test_organisation_outside_the_action_is_refused_naming_the_field(case):
    with pytest.raises(ValidationError) as error:
        record(case, who="fr")  # France drives the plan but does not take part in the action
    assert "organisation" in error.value.message_dict
    assert not ResultEntry.objects.exists()


def test_duplicate_and_negative_are_refused_naming_the_field(case):
    record(case)
    with pytest.raises(ValidationError) as error:
        record(case)
    assert "result_type" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        record(case, year=2022, value=-1)
    assert "value" in error.value.message_dict
    assert ResultEntry.objects.count() == 1


def test_validated_entry_is_frozen_with_a_clear_message(case):
    entry = services.result_validate(
        entry=services.result_submit(entry=record(case), by=case["de"]), by=case["es"]
    )
    with pytest.raises(ValidationError) as error:
        services.result_update(entry=entry, by=case["de"], value=Decimal(1))
    assert "validated" in str(error.value)
    assert ResultEntry.objects.get(pk=entry.pk).value == Decimal(7)


def test_locked_year_refuses_every_change_until_the_hub_unlocks(case):
    draft = record(case)
    submitted = services.result_submit(entry=record(case, who="co"), by=case["co"])
    with pytest.raises(PermissionDenied):
        services.year_lock(year=2023, by=case["es"])  # only the hub locks
    services.year_lock(year=2023, by=case["hub"])
    assert YearLock.objects.get(year=2023).locked_by == case["hub"]
    for attempt in (
        lambda: services.result_update(entry=draft, by=case["de"], value=Decimal(1)),
        lambda: services.result_submit(entry=draft, by=case["de"]),
        lambda: services.result_validate(entry=submitted, by=case["es"]),
        lambda: services.result_return(entry=submitted, by=case["es"], reason="x"),
        lambda: services.result_delete(entry=draft, by=case["de"]),
        lambda: record(case, who="es"),
    ):
        with pytest.raises(ValidationError) as error:
            attempt()
        assert "locked" in str(error.value)
    assert ResultEntry.objects.get(pk=draft.pk).value == Decimal(7)
    services.year_unlock(year=2023, by=case["hub"])
    assert services.result_update(entry=draft, by=case["de"], value=Decimal(1)).value == Decimal(1)


def test_return_needs_a_reason(case):
    entry = services.result_submit(entry=record(case), by=case["de"])
    with pytest.raises(ValidationError) as error:
        services.result_return(entry=entry, by=case["es"], reason="  ")
    assert "reason" in error.value.message_dict
