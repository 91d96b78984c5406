"""One action's figures for one period at once (the results grid's service): all or nothing."""

from decimal import Decimal

import pytest

from oap import services
from oap.choices import EntryStatus, ParticipationRole, ResultUnit
from oap.models import ResultEntry
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def grid(db):
    es, de = f.OrganisationFactory(code="ES"), f.OrganisationFactory(code="DE")
    action = f.ActionFactory(code="DRUGS-CCH 1.1", plan=f.PlanFactory(driver=de))
    f.ParticipationFactory(action=action, organisation=es, role=ParticipationRole.LEADER)
    f.ParticipationFactory(action=action, organisation=de)
    for code, unit in (
        ("arrests", ResultUnit.COUNT),
        ("cocaine_kg", ResultUnit.KG),
        ("seizures", ResultUnit.COUNT),
    ):
        f.ResultTypeFactory(code=code, unit=unit)
    user = f.UserFactory(username="de", organisation=de)
    return {"action": action, "de": de, "user": user}


def save(grid, figures, **kwargs):
    return services.results_save_period(
        by=grid["user"],
        action=grid["action"],
        organisation=grid["de"],
        year=2024,
        half_year=None,
        figures=figures,
        **kwargs,
    )


def values():
    return {
        e.result_type.code: (e.value, e.status) for e in ResultEntry.objects.select_related("result_type")
    }


def test_new_changed_and_emptied_figures_are_saved_at_once(grid):
    assert save(grid, {"arrests": "12", "cocaine_kg": "1250,5", "seizures": ""}) == (2, 0, 0, 0)
    assert values() == {"arrests": (Decimal(12), "draft"), "cocaine_kg": (Decimal("1250.5"), "draft")}
    assert save(grid, {"arrests": "13", "cocaine_kg": "", "seizures": "4"}) == (1, 1, 1, 0)
    assert values() == {"arrests": (Decimal(13), "draft"), "seizures": (Decimal(4), "draft")}


def test_one_bad_figure_saves_nothing_and_names_its_counter(grid):
    save(grid, {"arrests": "12"})
    with pytest.raises(services.RowErrors) as error:
        save(grid, {"arrests": "14", "cocaine_kg": "1,250", "seizures": "1.5"})
    named = {list(["arrests", "cocaine_kg", "seizures"])[i]: fields for i, fields in error.value.rows.items()}
    assert set(named) == {"cocaine_kg", "seizures"}
    assert values() == {"arrests": (Decimal(12), "draft")}


def test_save_and_submit_submits_every_open_figure_of_the_period(grid):
    assert save(grid, {"arrests": "12", "cocaine_kg": "3"}, submit=True) == (2, 0, 0, 2)
    assert {status for _, status in values().values()} == {EntryStatus.SUBMITTED}
    with pytest.raises(services.RowErrors):  # a submitted figure no longer changes here
        save(grid, {"arrests": "15"})


def test_the_grid_lists_every_counter_the_usual_ones_first_with_what_may_change(grid):
    from oap.selectors import period_grid

    other = f.ActionFactory(code="DRUGS-CCH 2.1", plan=grid["action"].plan)
    f.ResultEntryFactory(
        action=other, organisation=grid["de"], result_type=f.ResultTypeFactory(code="seizures")
    )
    save(grid, {"arrests": "12"}, submit=True)
    save(grid, {"cocaine_kg": "3"})
    rows = period_grid(
        user=grid["user"], action=grid["action"], organisation=grid["de"], year=2024, half_year=None
    )
    codes = [row.counter.code for row in rows]
    assert set(codes[:3]) == {"arrests", "cocaine_kg", "seizures"}  # reported in this priority
    by_code = {row.counter.code: row for row in rows}
    assert by_code["arrests"].entry.status == "submitted" and not by_code["arrests"].editable
    assert (
        by_code["cocaine_kg"].editable and by_code["seizures"].entry is None and by_code["seizures"].editable
    )
