"""The factsheet figures from the demo data: DOMAIN.md's published results, exactly, and the
same figures and checksum as the oracle (`tests/reporting/reference.py`, other queries).

The demo is loaded once for the module (`demo_data`); each test runs in its own savepoint.
"""

import copy
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Sum

from oap import services
from oap.choices import EntryStatus
from oap.models import OperationalAction, OperationalActionPlan, PriorityCrimeArea, ResultEntry
from reporting.compile import FIGURES_FORMAT, HEADLINE_KEYS, QUERY_COUNT, compile_figures, sum_mismatches
from tests.published import ASSETS_OVER_EUR, DRUGS_OVER_KG, EXACT
from tests.reporting.reference import reference_compile

pytestmark = pytest.mark.django_db

OVER = {
    year: {"assets_seized_eur": ASSETS_OVER_EUR[year], "drugs_seized_kg": DRUGS_OVER_KG[year]}
    for year in EXACT
}


@pytest.fixture(scope="module")
def figures(demo_data, django_db_blocker):
    with django_db_blocker.unblock():
        return {year: compile_figures(year=year) for year in (2022, 2023)}


@pytest.mark.parametrize("year", [2022, 2023])
def test_headline_equals_the_published_results(figures, year):
    headline = figures[year].figures["headline"]
    assert list(headline) == list(HEADLINE_KEYS)
    for key, value in EXACT[year].items():
        assert headline[key] == value, key
    for key, floor in OVER[year].items():
        assert headline[key] > floor, key
    assert headline["operational_actions"] > 0
    assert headline["countries"] > 0


def test_2023_change_against_2022_rounds_to_the_published_percentages(figures):
    """Published: arrests about +40 %, migrant smugglers +86 %, investigations +69 %.

    From the published counts the changes are +39.80 %, +86.53 % and +68.91 %: the press
    release's +86 % is 86.53 % cut to a whole percent, so each is checked to within one point
    of the published figure, and exactly against the counts.
    """
    change = figures[2023].figures["change_vs_previous"]
    assert round(change["arrests"] * 100) == 40
    assert change["migrant_smugglers_arrested"] * 100 == pytest.approx(86, abs=1)
    assert int(change["migrant_smugglers_arrested"] * 100) == 86
    assert round(change["investigations_initiated"] * 100) == 69
    assert change["arrests"] == 0.398
    assert change["migrant_smugglers_arrested"] == round(6801 / 3646 - 1, 4) == 0.8653
    assert change["investigations_initiated"] == round(15644 / 9262 - 1, 4) == 0.6891
    assert figures[2023].figures["previous"]["arrests"] == 9922


def test_no_previous_year_gives_no_change(figures):
    assert figures[2022].figures["previous"] is None
    assert set(figures[2022].figures["change_vs_previous"].values()) == {None}


def test_breakdowns_add_up_to_the_headline(figures):
    data = figures[2023].figures
    for key in ("arrests", "investigations_initiated", "victims_identified", "assets_seized_eur"):
        assert sum(p[key] for p in data["by_priority"]) == data["headline"][key]
        assert sum(p[key] for p in data["by_plan"]) == data["headline"][key]
    assert sum(p["drugs_seized_kg"] for p in data["by_plan"]) == pytest.approx(
        data["headline"]["drugs_seized_kg"]
    )
    assert sum(p["operational_actions"] for p in data["by_plan"]) == data["headline"]["operational_actions"]
    assert len(data["participation"]) == data["headline"]["countries"]
    assert {p["code"] for p in data["by_priority"]} >= {"MS", "THB", "DRUGS"}


def test_operational_actions_are_those_with_validated_results(figures):
    expected = (
        ResultEntry.objects.filter(year=2023, status=EntryStatus.VALIDATED)
        .values("action")
        .distinct()
        .count()
    )
    assert figures[2023].figures["headline"]["operational_actions"] == expected


def test_drugs_in_kg_sum_every_drugs_counter(figures):
    total = ResultEntry.objects.filter(
        year=2022, status=EntryStatus.VALIDATED, result_type__category="drugs"
    ).aggregate(total=Sum("value"))["total"]
    assert Decimal(str(figures[2022].figures["headline"]["drugs_seized_kg"])) == total


def test_same_data_same_checksum_and_figures(figures):
    again = compile_figures(year=2023)
    assert again.checksum == figures[2023].checksum
    assert again.figures == figures[2023].figures
    assert figures[2022].checksum != figures[2023].checksum


def test_a_changed_entry_changes_the_checksum(figures):
    entry = ResultEntry.objects.filter(
        year=2023, status=EntryStatus.VALIDATED, result_type__code="arrests"
    ).first()
    entry.value += 1
    entry.save()  # inside the test's savepoint, rolled back afterwards
    changed = compile_figures(year=2023)
    assert changed.checksum != figures[2023].checksum
    assert changed.figures["headline"]["arrests"] == 13872


def test_a_change_to_the_previous_year_changes_the_checksum_too(figures):
    entry = ResultEntry.objects.filter(year=2022, status=EntryStatus.VALIDATED).first()
    entry.value += 1
    entry.save()
    assert compile_figures(year=2023).checksum != figures[2023].checksum


def test_entries_not_validated_do_not_count(figures):
    entry = ResultEntry.objects.filter(
        year=2023, status=EntryStatus.VALIDATED, result_type__code="arrests"
    ).first()
    ResultEntry.objects.filter(pk=entry.pk).update(status=EntryStatus.SUBMITTED)
    assert compile_figures(year=2023).figures["headline"]["arrests"] == 13871 - int(entry.value)


def test_a_priority_factsheet_covers_that_priority_only(figures):
    drugs = PriorityCrimeArea.objects.get(cycle__code="2022-2025", code="DRUGS")
    compiled = compile_figures(year=2023, priority=drugs)
    headline = compiled.figures["headline"]
    assert compiled.figures["scope"] == {"kind": "priority", "code": "DRUGS", "name": drugs.name}
    assert [p["code"] for p in compiled.figures["by_priority"]] == ["DRUGS"]
    by_priority = {p["code"]: p for p in figures[2023].figures["by_priority"]}
    assert headline["arrests"] == by_priority["DRUGS"]["arrests"]
    assert headline["drugs_seized_kg"] == pytest.approx(figures[2023].figures["headline"]["drugs_seized_kg"])
    assert compiled.checksum != figures[2023].checksum


def test_the_compile_makes_its_fixed_number_of_queries(django_assert_num_queries):
    with django_assert_num_queries(QUERY_COUNT):
        compile_figures(year=2023)


def assert_compile_equals_the_oracle(priorities=()):
    for year in (2022, 2023):
        for priority in (None, *priorities):
            assert compile_figures(year=year, priority=priority) == reference_compile(
                year=year, priority=priority
            )


def test_the_compile_equals_the_oracle_for_every_scope(figures):
    assert figures[2023].figures["format"] == FIGURES_FORMAT == 3
    assert_compile_equals_the_oracle(priorities=PriorityCrimeArea.objects.all())


def test_the_checksum_follows_updated_at_alone(figures):
    entry = ResultEntry.objects.filter(year=2023, status=EntryStatus.VALIDATED).order_by("updated_at").first()
    entry.save()  # same value: only updated_at changes
    after = compile_figures(year=2023)
    assert after.figures == figures[2023].figures and after.checksum != figures[2023].checksum
    assert after == reference_compile(year=2023)


def test_an_action_moved_to_another_plan_takes_its_results_along(figures):
    before = figures[2023].figures
    action = OperationalAction.objects.filter(
        results__year=2023, results__status=EntryStatus.VALIDATED
    ).first()
    source = action.plan.priority
    target = OperationalActionPlan.objects.exclude(priority=source).filter(start_year=2022).first()
    services.action_update(action=action, by=None, plan=target)
    after = compile_figures(year=2023).figures
    assert after["headline"] == before["headline"]  # the totals stay, the breakdowns move
    assert after["by_plan"] != before["by_plan"] and after["by_priority"] != before["by_priority"]
    assert sum_mismatches(after) == []
    assert_compile_equals_the_oracle(priorities=[source, target.priority])


def test_a_returned_entry_leaves_every_figure_it_counted_in(figures):
    entry = ResultEntry.objects.filter(
        year=2023, status=EntryStatus.VALIDATED, result_type__code="arrests"
    ).first()
    services.result_return(entry=entry, by=None, reason="Check the figure.")
    after = compile_figures(year=2023)
    assert after.figures["headline"]["arrests"] == 13871 - int(entry.value)
    assert after.figures["entries"] == figures[2023].figures["entries"] - 1
    assert sum_mismatches(after.figures) == []
    assert_compile_equals_the_oracle(priorities=[entry.action.plan.priority])


def test_the_sums_of_the_published_figures_match(figures):
    drugs = PriorityCrimeArea.objects.get(cycle__code="2022-2025", code="DRUGS")
    for compiled in (figures[2022], figures[2023], compile_figures(year=2023, priority=drugs)):
        assert sum_mismatches(compiled.figures) == []


@pytest.mark.parametrize("breakdown", ["by_plan", "by_priority"])
@pytest.mark.parametrize("key", ["arrests", "assets_seized_eur", "drugs_seized_kg", "operational_actions"])
def test_a_breakdown_that_does_not_add_up_is_named(figures, breakdown, key):
    data = copy.deepcopy(figures[2023].figures)
    data[breakdown][-1][key] += 0.001 if key == "drugs_seized_kg" else 1
    assert sum_mismatches(data) == [
        f"{key}: headline {data['headline'][key]} but the sum {breakdown} is "
        f"{sum(Decimal(str(row[key])) for row in data[breakdown]).normalize():f}"
    ]


def test_nothing_but_the_entries_stands_behind_the_figures():
    """No rollup tables, data version or triggers keeping them: 0005/0006 no longer create them and
    0008 drops them where earlier versions of those migrations did."""
    tables = connection.introspection.table_names()
    assert [name for name in tables if name.startswith("oap_rollup") or name == "oap_datastamp"] == []
    triggers = {
        "postgresql": "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal",
        "sqlite": "SELECT name FROM sqlite_master WHERE type = 'trigger'",
    }[connection.vendor]
    with connection.cursor() as cursor:
        cursor.execute(triggers)
        names = [name for (name,) in cursor.fetchall()]
    assert [name for name in names if name.startswith(("oap_rollups", "oap_datastamp"))] == []
