"""The completeness matrix on the demo data: every cell against a query written here.

The expected cells come from one SQL statement in this file (participations of the actions that
report in the period, their figures counted by status) and the rule of what a viewer may know,
written out again here: everything for the hub; elsewhere, another organisation's figures not yet
validated only where the viewer's organisation leads the action or drives its plan.
"""

from __future__ import annotations

import csv
import datetime
import io

import pytest
from django.db import connection
from openpyxl import load_workbook

from oap.models import OperationalAction, Organisation, User
from oap.selectors import completeness, reporting_deadline

pytestmark = pytest.mark.django_db

PERIODS = [(2025, None), (2026, 1), (2026, 2)]
BOUNDS = {None: ((1, 1), (12, 31)), 1: ((1, 1), (6, 30)), 2: ((7, 1), (12, 31))}

CELLS_SQL = """
SELECT p.action_id, p.organisation_id,
       SUM(CASE WHEN e.status = 'validated' THEN 1 ELSE 0 END),
       SUM(CASE WHEN e.status = 'submitted' THEN 1 ELSE 0 END),
       SUM(CASE WHEN e.status IN ('draft', 'returned') THEN 1 ELSE 0 END)
FROM oap_participation p
JOIN oap_operationalaction a ON a.id = p.action_id
JOIN oap_operationalactionplan pl ON pl.id = a.plan_id
LEFT JOIN oap_resultentry e
       ON e.action_id = p.action_id AND e.organisation_id = p.organisation_id AND e.year = %(year)s
      AND (%(half)s = 0 OR e.half_year = %(half)s)
WHERE a.status IN ('ongoing', 'completed', 'not_completed')
  AND ((a.start IS NOT NULL AND a.start <= %(end)s) OR (a.start IS NULL AND pl.start_year <= %(year)s))
  AND ((a."end" IS NOT NULL AND a."end" >= %(start)s) OR (a."end" IS NULL AND pl.end_year >= %(year)s))
GROUP BY p.action_id, p.organisation_id
"""


def expected_cells(year: int, half: int | None) -> dict[tuple[int, int], tuple[int, int, int]]:
    (m1, d1), (m2, d2) = BOUNDS[half]
    params = {
        "year": year,
        "half": half or 0,
        "start": datetime.date(year, m1, d1),
        "end": datetime.date(year, m2, d2),
    }
    with connection.cursor() as cursor:
        cursor.execute(CELLS_SQL, params)
        return {(a, o): (int(v), int(s), int(r)) for a, o, v, s, r in cursor.fetchall()}


def _ids(sql: str, *params) -> set[int]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {row[0] for row in cursor.fetchall()}


def viewer_rule(username: str):
    """(visible action ids or None for all, disclosed(action_id, organisation_id)) for a demo user."""
    user = User.objects.select_related("organisation").get(username=username)
    org = user.organisation
    if user.is_superuser or org.is_hub:
        return None, lambda action, organisation: True
    driven = _ids(
        "SELECT a.id FROM oap_operationalaction a JOIN oap_operationalactionplan pl ON pl.id = a.plan_id "
        "WHERE pl.driver_id = %s OR pl.id IN (SELECT operationalactionplan_id FROM "
        "oap_operationalactionplan_co_drivers WHERE organisation_id = %s)",
        org.pk,
        org.pk,
    )
    led = _ids(
        "SELECT action_id FROM oap_participation WHERE organisation_id = %s AND role = 'leader'", org.pk
    )
    joined = _ids("SELECT action_id FROM oap_participation WHERE organisation_id = %s", org.pk)
    levels = (
        ("eu", "partners") if org.kind in ("member_state", "eu_agency", "eu_institution") else ("partners",)
    )
    handled = set(OperationalAction.objects.filter(handling__in=levels).values_list("pk", flat=True))
    visible = handled | joined | driven
    return visible, lambda action, organisation: organisation == org.pk or action in led | driven


def expected_state(counts, disclosed: bool) -> str:
    validated, submitted, open_ = counts
    if not disclosed:
        return "validated" if validated else "undisclosed"
    if open_:
        return "reported"
    if submitted:
        return "submitted"
    return "validated" if validated else "none"


@pytest.mark.parametrize(
    "username", ["europol.analyst", "admin", "es.coordinator", "de.coordinator", "co.partner"]
)
@pytest.mark.parametrize("period", PERIODS)
def test_every_cell_of_the_demo_matrix(demo_data, username, period):
    year, half = period
    visible, disclosed = viewer_rule(username)
    expected = {
        key: expected_state(counts, disclosed(*key))
        for key, counts in expected_cells(year, half).items()
        if visible is None or key[0] in visible
    }
    result = completeness(user=User.objects.get(username=username), year=year, half_year=half)
    found = {key: cell.state for key, cell in result.cells.items()}
    assert found == expected
    assert len(expected) > 20  # the demo has something to show in every period
    # totals per row and column are those of the cells
    for action_id, tally in result.by_action().items():
        states = [state for (a, _), state in expected.items() if a == action_id]
        assert tally.expected == len(states)
        assert tally.delivered == sum(state in ("submitted", "validated") for state in states)
    for organisation_id, tally in result.by_organisation().items():
        assert tally.expected == sum(1 for (_, o) in expected if o == organisation_id)


def test_the_cells_show_every_state_and_the_deadline(demo_data):
    analyst = User.objects.get(username="europol.analyst")
    states = {cell.state for cell in completeness(user=analyst, year=2025).cells.values()}
    assert {"validated", "submitted", "reported", "none"} <= states
    assert completeness(user=analyst, year=2026, half_year=2).period == reporting_deadline(2026, 2)
    assert reporting_deadline(2026, 2).results_due == datetime.date(2027, 1, 31)
    assert (
        reporting_deadline(2025, 1).year == 2025 and reporting_deadline(2025, 1).half_year is None
    )  # the year's
    assert reporting_deadline(2019) is None
    partner = User.objects.get(username="co.partner")
    assert "undisclosed" in {cell.state for cell in completeness(user=partner, year=2025).cells.values()}


def test_filters_by_plan_priority_kind_and_organisation(demo_data):
    analyst = User.objects.get(username="europol.analyst")
    everything = completeness(user=analyst, year=2026, half_year=1)
    plan = everything.actions[0].plan
    by_plan = completeness(user=analyst, year=2026, half_year=1, plan=[plan.code])
    assert {a.plan_id for a in by_plan.actions} == {plan.pk}
    by_priority = completeness(user=analyst, year=2026, half_year=1, priority=[plan.priority.code])
    assert {a.plan.priority_id for a in by_priority.actions} == {plan.priority_id}
    third = completeness(user=analyst, year=2026, half_year=1, kind=["third_country"])
    assert {o.kind for o in third.organisations} == {"third_country"}
    spain = completeness(user=analyst, year=2026, half_year=1, organisation=["ES"])
    assert {o.code for o in spain.organisations} == {"ES"}
    assert spain.cells == {
        k: c for k, c in everything.cells.items() if k[1] == Organisation.objects.get(code="ES").pk
    }


def test_the_api_gives_the_matrix_as_the_caller_may_see_it(demo_data, client):
    client.force_login(User.objects.get(username="co.partner"))
    body = client.get("/api/v1/completeness/?year=2025").json()
    visible, disclosed = viewer_rule("co.partner")
    codes = dict(OperationalAction.objects.values_list("code", "pk"))
    organisations = dict(Organisation.objects.values_list("code", "pk"))
    expected = {
        key: expected_state(counts, disclosed(*key))
        for key, counts in expected_cells(2025, None).items()
        if key[0] in visible
    }
    assert {
        (codes[c["action"]], organisations[c["organisation"]]): c["state"] for c in body["cells"]
    } == expected
    for cell in body["cells"]:
        if not disclosed(codes[cell["action"]], organisations[cell["organisation"]]):
            assert cell["submitted"] is None and cell["open"] is None
    assert body["total"]["expected"] == len(body["cells"])
    assert body["period"]["results_due"] == "2026-01-31"
    assert client.get("/api/v1/periods/").json()["results"][0]["name"]
    bad = client.get("/api/v1/completeness/?year=twenty&half_year=3&plan=NOPE").json()
    assert bad["status"] == 400 and set(bad["errors"]) == {"year", "half_year", "plan"}


def test_downloads_hold_the_cells(demo_data, client):
    client.force_login(User.objects.get(username="es.coordinator"))
    matrix = completeness(user=User.objects.get(username="es.coordinator"), year=2026, half_year=2)
    response = client.get("/reports/completeness/completeness.csv?year=2026&half_year=2")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0][:4] == ["plan", "action", "action_title", "organisation"]
    assert len(rows) - 1 == len(matrix.cells)
    undisclosed = [row for row in rows[1:] if row[7] == "undisclosed"]
    assert undisclosed and all(row[10] == row[11] == "" for row in undisclosed)
    book = load_workbook(
        io.BytesIO(client.get("/reports/completeness/completeness.xlsx?period=2026-2").content)
    )
    sheet = book.worksheets[0]
    assert sheet.max_row - 1 == len(matrix.cells)
    bad = client.get("/reports/completeness/completeness.csv?year=1900")
    assert bad.status_code == 400 and b"year" in bad.content
