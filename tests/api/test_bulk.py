"""Bulk results: 5 000 at once, all or nothing, with their audit trail, in a bounded number of queries."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from knox.models import AuthToken
from rest_framework.test import APIClient

from oap.choices import EntryStatus
from oap.models import OperationalAction, ResultEntry, User
from tests.api.demo_rows import OPEN_YEARS, free_rows, make_room

pytestmark = pytest.mark.django_db

BULK = "/api/v1/results/bulk/"


def spanish_rows(count):
    """`count` distinct, valid rows for Spain: the free places of its open actions (tests.api.demo_rows)."""
    return free_rows("ES", count)


@pytest.fixture
def spain(demo_data):
    """Spain's coordinator with a token, and room in the demo for 5 000 of Spain's figures."""
    user = User.objects.get(username="es.coordinator")
    make_room(user, 5000)
    _, key = AuthToken.objects.create(user=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return user, client


def state():
    return ResultEntry.objects.count(), ResultEntry.history.model.objects.count()


def test_5000_results_are_created_at_once_with_their_history(spain):
    user, client = spain
    rows = spanish_rows(5000)
    entries, history = state()
    existing = set(ResultEntry.objects.values_list("pk", flat=True))
    with CaptureQueriesContext(connection) as queries:
        response = client.post(BULK, {"results": rows}, format="json")
    assert response.status_code == 201, response.content[:2000]
    body = response.json()

    # exactly 5 000 drafts, entered by the user, each with its history record naming the user
    created = ResultEntry.objects.exclude(pk__in=existing)
    assert body["created"] == 5000 == created.count() == ResultEntry.objects.count() - entries
    assert set(created.values_list("status", flat=True)) == {EntryStatus.DRAFT}
    assert set(created.values_list("organisation__code", flat=True)) == {"ES"}
    assert set(created.values_list("entered_by", flat=True)) == {user.pk}
    assert set(created.values_list("year", flat=True)) <= set(OPEN_YEARS)
    records = ResultEntry.history.model.objects.filter(id__in=created.values("pk"))
    assert ResultEntry.history.model.objects.count() - history == 5000 == records.count()
    assert set(records.values_list("history_type", "history_user_id")) == {("+", user.pk)}

    # the response lists the created entries, as stored
    assert len(body["results"]) == 5000
    assert {r["id"] for r in body["results"]} == set(created.values_list("pk", flat=True))
    by_key = {(r["action"], r["result_type"], r["year"], r["half_year"]): r for r in body["results"]}
    for row in rows[::499]:
        listed = by_key[(row["action"], row["result_type"], row["year"], row["half_year"])]
        assert Decimal(str(listed["value"])) == Decimal(row["value"])
        assert listed["status"] == "draft" and listed["organisation"] == "ES"
        assert listed["comment"] == row["comment"]

    # set-wise: the reads do not grow with the number of rows; the INSERTs come in batches (of
    # 2 000 rows on PostgreSQL; SQLite's backend splits them further, by its parameter limit)
    sql = [q["sql"] for q in queries.captured_queries]
    locks = [q for q in sql if q.startswith("SELECT pg_advisory")]  # one per organisation and year
    assert len(locks) <= 1 + len(OPEN_YEARS), locks
    reads = [
        q for q in sql if not q.startswith(("INSERT", "SAVEPOINT", "RELEASE SAVEPOINT", "SELECT pg_advisory"))
    ]
    assert len(reads) <= 15, "\n".join(q[:200] for q in reads)
    if connection.vendor == "postgresql":
        assert len(sql) <= 30, [q[:120] for q in sql]

    # the same bulk again: every row a duplicate, refused, nothing created
    again = client.post(BULK, {"results": rows}, format="json")
    assert again.status_code == 409  # every row a duplicate: a conflict, each naming its entry
    errors = again.json()["errors"]
    assert len(errors) == 5000
    assert all(key.endswith(".result_type") and "already reported" in m[0] for key, m in errors.items())
    assert state() == (entries + 5000, history + 5000)


def test_all_or_nothing_when_the_last_row_is_bad(spain):
    _, client = spain
    rows = spanish_rows(5000)
    rows[-1]["value"] = "-1"
    before = state()
    response = client.post(BULK, {"results": rows}, format="json")
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"results[4999].value"}
    assert state() == before


def test_a_bulk_is_recorded_by_the_partner_too(demo_data):
    """Colombia records results for its own organisation in each open action it takes part in."""
    user = User.objects.get(username="co.partner")
    client = APIClient()
    client.force_authenticate(user)
    rows = {}
    for row in free_rows("CO"):  # one row per action: its first free place
        rows.setdefault(row["action"], {**row, "value": 1})
    actions = OperationalAction.objects.filter(participations__organisation__code="CO", end__year__gte=2024)
    assert set(rows) == set(actions.values_list("code", flat=True)) and len(rows) >= 5
    response = client.post(BULK, {"results": list(rows.values())}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["created"] == len(rows) == len(response.json()["results"])
    assert {r["action"] for r in response.json()["results"]} == set(rows)
