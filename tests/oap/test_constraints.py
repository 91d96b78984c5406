"""Every invariant of the domain is refused by the database itself, not only by a form."""

import datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from oap.choices import OrganisationKind, ParticipationRole
from oap.models import OperationalAction, Participation, ResultEntry
from tests import factories as f

pytestmark = pytest.mark.django_db


def refused(create):
    """Run `create` in a savepoint and assert the database raises IntegrityError."""
    with pytest.raises(IntegrityError), transaction.atomic():
        create()


@pytest.mark.parametrize(
    "factory",
    [
        f.OrganisationFactory,
        f.CycleFactory,
        f.CHSGFactory,
        f.PlanFactory,
        f.ActionFactory,
        f.ResultTypeFactory,
    ],
)
def test_codes_are_unique(factory):
    row = factory(code="SAME")
    model = factory._meta.model
    fields = {
        field.name: getattr(row, field.name)
        for field in model._meta.concrete_fields
        if not field.primary_key and not field.auto_created
    }
    if model is f.CHSGFactory._meta.model:
        fields["number"] = row.number + 1
    refused(lambda: model.objects.create(**fields))


def test_priority_codes_are_unique_within_a_cycle_but_not_across():
    priority = f.PriorityFactory(code="DRUGS")
    refused(lambda: f.PriorityFactory(code="DRUGS", cycle=priority.cycle))
    other_cycle = f.CycleFactory(code="2026-2029", name="EMPACT 2026–2029", start_year=2026, end_year=2029)
    assert f.PriorityFactory(code="DRUGS", cycle=other_cycle).pk


def test_only_one_hub():
    f.OrganisationFactory(code="EUROPOL", kind=OrganisationKind.EU_AGENCY, is_hub=True)
    refused(lambda: f.OrganisationFactory(code="EUROJUST", kind=OrganisationKind.EU_AGENCY, is_hub=True))


def test_at_most_one_leader_per_action():
    leader = f.ParticipationFactory(role=ParticipationRole.LEADER)
    refused(lambda: f.ParticipationFactory(action=leader.action, role=ParticipationRole.LEADER))
    # co-leaders and participants are not limited
    f.ParticipationFactory(action=leader.action, role=ParticipationRole.CO_LEADER)
    f.ParticipationFactory(action=leader.action, role=ParticipationRole.CO_LEADER)
    assert Participation.objects.filter(action=leader.action).count() == 3


def test_an_organisation_takes_part_once_per_action():
    participation = f.ParticipationFactory()
    refused(
        lambda: f.ParticipationFactory(
            action=participation.action,
            organisation=participation.organisation,
            role=ParticipationRole.CO_LEADER,
        )
    )


def test_values_are_non_negative():
    refused(lambda: f.ResultEntryFactory(value=Decimal("-1")))
    entry = f.ResultEntryFactory(value=Decimal("0"))
    refused(lambda: ResultEntry.objects.filter(pk=entry.pk).update(value=Decimal("-0.001")))


def test_one_entry_per_action_organisation_counter_and_year():
    entry = f.ResultEntryFactory()
    same = {
        "action": entry.action,
        "organisation": entry.organisation,
        "result_type": entry.result_type,
        "year": entry.year,
    }
    refused(lambda: f.ResultEntryFactory(**same))
    # another year, or a half-year, is another period
    f.ResultEntryFactory(**{**same, "year": entry.year + 1})
    f.ResultEntryFactory(**same, half_year=1)
    refused(lambda: f.ResultEntryFactory(**same, half_year=1))
    f.ResultEntryFactory(**same, half_year=2)


def test_half_year_is_one_or_two():
    refused(lambda: f.ResultEntryFactory(half_year=3))


def test_action_ends_after_it_starts():
    refused(lambda: f.ActionFactory(start=datetime.date(2023, 5, 1), end=datetime.date(2023, 4, 30)))
    assert f.ActionFactory(start=datetime.date(2023, 5, 1), end=datetime.date(2023, 5, 1)).pk
    assert f.ActionFactory(start=datetime.date(2023, 5, 1), end=None).pk


def test_plan_and_cycle_end_after_they_start():
    refused(lambda: f.PlanFactory(start_year=2023, end_year=2022))
    refused(lambda: f.CycleFactory(code="BAD", start_year=2025, end_year=2022))


def test_status_handling_and_role_values_are_checked():
    refused(lambda: f.ActionFactory(status="lost"))
    refused(lambda: f.ActionFactory(handling="everyone"))
    refused(lambda: f.ParticipationFactory(role="boss"))
    refused(lambda: f.ResultEntryFactory(status="approved"))
    refused(lambda: f.OrganisationFactory(kind="planet"))
    assert OperationalAction.objects.filter(status="lost").count() == 0
