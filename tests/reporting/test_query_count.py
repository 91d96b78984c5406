"""The compile's query count does not grow with the number of entries (GROUP BY, no loop over rows)."""

import itertools
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from oap.choices import EntryStatus, OrganisationKind, ParticipationRole, ResultCategory, ResultUnit
from oap.models import Participation, ResultEntry
from reporting.compile import QUERY_COUNT, compile_figures
from reporting.models import Factsheet
from reporting.services import factsheet_compile
from tests.factories import (
    ActionFactory,
    OrganisationFactory,
    PlanFactory,
    PriorityFactory,
    ResultTypeFactory,
)

pytestmark = pytest.mark.django_db

COUNTERS = [
    ("arrests", ResultUnit.COUNT, ResultCategory.ARRESTS),
    ("investigations_initiated", ResultUnit.COUNT, ResultCategory.INVESTIGATIONS),
    ("cocaine_kg", ResultUnit.KG, ResultCategory.DRUGS),
    ("waste_seized_t", ResultUnit.TONNES, ResultCategory.ENVIRONMENT),
]


def make_entries(*, plans: int, actions_per_plan: int, countries: int) -> int:
    """Validated entries of 2022 and 2023 over plans × actions × countries × counters; their number."""
    types = [ResultTypeFactory(code=code, unit=unit, category=category) for code, unit, category in COUNTERS]
    orgs = [OrganisationFactory(kind=OrganisationKind.MEMBER_STATE) for _ in range(countries)]
    participations, entries = [], []
    for _ in range(plans):
        plan = PlanFactory(priority=PriorityFactory())
        for _ in range(actions_per_plan):
            action = ActionFactory(plan=plan)
            for index, org in enumerate(orgs):
                role = ParticipationRole.LEADER if index == 0 else ParticipationRole.PARTICIPANT
                participations.append(Participation(action=action, organisation=org, role=role))
            entries += [
                ResultEntry(
                    action=action,
                    organisation=org,
                    result_type=result_type,
                    year=year,
                    value=Decimal("3.5"),
                    status=EntryStatus.VALIDATED,
                )
                for org, result_type, year in itertools.product(orgs, types, (2022, 2023))
            ]
    Participation.objects.bulk_create(participations)
    ResultEntry.objects.bulk_create(entries)
    created = len(entries)
    return created


def count_queries(call) -> int:
    with CaptureQueriesContext(connection) as queries:
        call()
    return len(queries)


def test_compile_figures_costs_the_same_for_few_and_many_entries():
    make_entries(plans=1, actions_per_plan=1, countries=1)
    few = count_queries(lambda: compile_figures(year=2023))
    total = make_entries(plans=4, actions_per_plan=10, countries=10)
    many = count_queries(lambda: compile_figures(year=2023))
    assert total >= 3000
    assert few == many == QUERY_COUNT
    figures = compile_figures(year=2023).figures
    assert figures["headline"]["arrests"] == pytest.approx(3.5 * (1 + 4 * 10 * 10))
    assert figures["headline"]["operational_actions"] == 1 + 4 * 10
    assert figures["headline"]["countries"] == 1 + 10


def test_the_whole_compile_task_costs_the_same_for_few_and_many_entries():
    """Figures, rendering, files and the final transaction: a fixed number of queries."""
    make_entries(plans=1, actions_per_plan=1, countries=1)
    first = Factsheet.objects.create(year=2023, status="compiling")
    few = count_queries(lambda: factsheet_compile(factsheet_id=first.pk))
    first.refresh_from_db()
    assert first.status == "compiled"
    first.status = "published"
    first.save()

    make_entries(plans=4, actions_per_plan=10, countries=10)
    second = Factsheet.objects.create(year=2023, version=2, status="compiling")
    many = count_queries(lambda: factsheet_compile(factsheet_id=second.pk))
    second.refresh_from_db()
    assert second.status == "compiled"
    assert second.figures["entries"] > first.figures["entries"] * 100
    assert few == many
    print(f"compile_figures: {QUERY_COUNT} queries; whole compile: {few} queries (few) / {many} (many)")
