"""The one writer (`write_entries`): the entries and their history rows as stored, on every database."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from oap import services
from oap.choices import EntryStatus, ResultUnit
from oap.models import ResultEntry
from tests import factories as f

pytestmark = pytest.mark.django_db


def test_the_returned_entries_are_the_stored_ones_in_the_order_of_the_rows():
    es = f.OrganisationFactory(code="ES")
    user = f.UserFactory(username="es", organisation=es, role="coordinator")
    actions = [f.ActionFactory(code=f"OA {n}.1") for n in range(3)]
    for action in actions:
        f.ParticipationFactory(action=action, organisation=es)
    counters = [f.ResultTypeFactory(code=f"counter_{n}", unit=ResultUnit.KG) for n in range(4)]
    rows = [
        {
            "action": action.code,
            "organisation": "ES",
            "result_type": counter.code,
            "year": year,
            "half_year": half_year,
            "value": f"{n}.5",
            "comment": f"row {n}\ttab\\slash\nline" if n % 5 == 0 else "",
        }
        for n, (action, counter, year, half_year) in enumerate(
            (a, c, y, h) for a in actions for c in counters for y in (2023, 2024) for h in (1, 2)
        )
    ]
    created = services.results_record_bulk(by=user, rows=rows)

    assert len(created) == len(rows) == ResultEntry.objects.count() == 48
    stored = {e.pk: e for e in ResultEntry.objects.all()}
    for row, entry in zip(rows, created, strict=True):
        again = stored[entry.pk]
        assert (again.action.code, again.result_type.code, again.year, again.half_year) == (
            row["action"],
            row["result_type"],
            row["year"],
            row["half_year"],
        )
        assert again.value == entry.value == Decimal(row["value"])
        assert again.comment == entry.comment == row["comment"]  # tabs, backslashes, new lines kept
        assert again.status == entry.status == EntryStatus.DRAFT
        assert again.entered_by_id == entry.entered_by_id == user.pk
        assert again.entered_at == entry.entered_at == again.updated_at
    assert [e.pk for e in created] == sorted(e.pk for e in created)
    assert created[-1].pk == created[len(created) - 1].pk and created[1:3] == [created[1], created[2]]
    with pytest.raises(IndexError):
        created[len(created)]

    # the relations the checker read come with the entries: no query to show them
    with CaptureQueriesContext(connection) as queries:
        shown = [str(entry) for entry in created]
    assert len(queries) == 0 and shown[0].startswith("OA 0.1 · ES · counter_0 2023 H1")

    # one "+" history record per entry, naming the user, with the entry's values
    history = ResultEntry.history.model.objects.filter(history_type="+")
    assert history.count() == 48
    assert set(history.values_list("history_user_id", flat=True)) == {user.pk}
    first = history.get(id=created[0].pk)
    assert (first.value, first.comment, first.status) == (created[0].value, rows[0]["comment"], "draft")
