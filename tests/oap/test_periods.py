"""Reporting periods: set by the hub only, checked by the database, shown on every dashboard."""

from __future__ import annotations

import datetime

import pytest
from django.db import IntegrityError, transaction

from oap.models import ReportingPeriod
from oap.selectors import periods_open, reporting_deadline

pytestmark = pytest.mark.django_db

D = datetime.date


def test_one_period_per_year_or_half_year_and_validation_after_the_due_date(db):
    ReportingPeriod.objects.create(
        year=2026, half_year=1, results_due=D(2026, 7, 31), validation_closes=D(2026, 9, 30)
    )
    ReportingPeriod.objects.create(year=2026, results_due=D(2027, 1, 31), validation_closes=D(2027, 2, 28))
    for fields in (
        {"year": 2026, "half_year": 1},  # the half-year twice
        {"year": 2026, "half_year": None},  # the whole year twice
        {"year": 2027, "half_year": 3},
    ):
        with pytest.raises(IntegrityError), transaction.atomic():
            ReportingPeriod.objects.create(
                **fields, results_due=D(2027, 7, 31), validation_closes=D(2027, 9, 30)
            )
    with pytest.raises(IntegrityError), transaction.atomic():
        ReportingPeriod.objects.create(year=2028, results_due=D(2029, 2, 1), validation_closes=D(2029, 1, 1))
    assert reporting_deadline(2026, 1).half_year == 1
    assert reporting_deadline(2026, 2).half_year is None  # no H2 of its own: the year's
    assert [p.name for p in periods_open(D(2026, 8, 1))] == ["2026 H1", "2026"]


def test_only_the_hub_sets_deadlines_in_the_admin(world, client):
    _, users = world
    data = {
        "year": 2026,
        "half_year": 2,
        "results_due": "2027-01-31",
        "validation_closes": "2027-02-28",
        "note": "",
    }
    for role in ("driver_ms", "tc_participant", "uninvolved_ms"):
        users[role].is_staff = True
        users[role].save()
        client.force_login(users[role])
        assert client.get("/admin/oap/reportingperiod/").status_code == 200  # everyone reads them
        assert client.post("/admin/oap/reportingperiod/add/", data).status_code == 403
    assert not ReportingPeriod.objects.exists()
    hub = users["hub_analyst"]
    hub.is_staff = True
    hub.save()
    client.force_login(hub)
    refused = client.post("/admin/oap/reportingperiod/add/", {**data, "validation_closes": "2027-01-01"})
    assert "Validation closes on or after the date the results are due." in refused.content.decode()
    assert client.post("/admin/oap/reportingperiod/add/", data).status_code == 302
    period = ReportingPeriod.objects.get()
    assert period.history.first().history_user == hub  # the audit trail names who set it
    client.force_login(users["driver_ms"])
    change = client.post(f"/admin/oap/reportingperiod/{period.pk}/change/", {**data, "note": "moved"})
    assert change.status_code == 403
