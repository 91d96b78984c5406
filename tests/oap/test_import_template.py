"""The results import template: numbers as numbers, drop-down lists of valid codes, and an example
that never imports (the template uploaded as it is creates nothing and says why)."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from oap.choices import ParticipationRole
from oap.models import ImportJob, ResultEntry
from oap.spreadsheets import IMPORT_COLUMNS
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def coordinator(db, client):
    es, de = f.OrganisationFactory(code="ES", name="Spain"), f.OrganisationFactory(code="DE", name="Germany")
    plan = f.PlanFactory(code="DRUGS-CCH", driver=es)
    for n, organisation in ((1, es), (2, de)):
        action = f.ActionFactory(plan=plan, code=f"DRUGS-CCH {n}.1", title=f"=cmd|' /C calc'!A{n}")
        f.ParticipationFactory(action=action, organisation=organisation, role=ParticipationRole.LEADER)
    f.ResultTypeFactory(code="arrests", name="Arrests")
    f.ResultTypeFactory(code="cocaine_kg", name="Cocaine seized", unit="kg")
    client.force_login(f.UserFactory(username="es.coordinator", organisation=es, is_staff=True))
    return client


def template(client, kind):
    return client.get(reverse("admin:oap_resultentry_import_template", args=[kind])).content


def test_the_xlsx_template_lists_the_valid_codes_and_keeps_the_example_apart(coordinator):
    book = load_workbook(io.BytesIO(template(coordinator, "xlsx")))
    results, example = book["Results"], book["Example"]
    assert book.worksheets[0] is results and results.max_row == 1  # the imported sheet: no rows
    assert [c.value for c in results[1]] == IMPORT_COLUMNS
    rules = {str(rule.sqref).split(":")[0]: rule for rule in results.data_validations.dataValidation}
    assert rules["A2"].type == "list" and rules["A2"].formula1 == "Actions!$A$2:$A$2"
    assert rules["B2"].formula1 == "Organisations!$A$2:$A$2"
    assert rules["C2"].formula1 == "Counters!$A$2:$A$3"
    assert rules["D2"].type == "whole" and (rules["D2"].formula1, rules["D2"].formula2) == ("2022", "2025")
    assert rules["E2"].formula1 == '"1,2"' and rules["F2"].type == "decimal"
    # only what Spain may report: its action and itself; titles stay text
    assert [row[0].value for row in book["Actions"].iter_rows(min_row=2)] == ["DRUGS-CCH 1.1"]
    assert book["Actions"]["B2"].data_type == "s"
    assert [row[0].value for row in book["Organisations"].iter_rows(min_row=2)] == ["ES"]
    assert [row[0].value for row in book["Counters"].iter_rows(min_row=2)] == ["arrests", "cocaine_kg"]
    row = [c.value for c in example[2]]
    assert row[:4] == ["DRUGS-CCH 1.1", "ES", "arrests", 2025] and row[5] == 12  # numbers, not text


@pytest.mark.parametrize("kind", ["xlsx", "csv"])
def test_the_template_uploaded_as_it_is_imports_nothing_and_says_why(coordinator, kind):
    upload = SimpleUploadedFile(f"results-import-template.{kind}", template(coordinator, kind))
    response = coordinator.post(reverse("admin:oap_resultentry_import"), {"file": upload}, follow=True)
    job = response.context["job"]
    assert job.status == ImportJob.Status.INVALID and not ResultEntry.objects.exists()
    [error] = job.errors
    expected = "no rows" if kind == "xlsx" else "Row 2 is the template"
    assert expected in error["message"] and expected in response.content.decode()
