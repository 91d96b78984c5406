"""Spreadsheet import (all or nothing, every bad row named) and exports limited to what the user sees."""

import csv
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from empact_tracker.celery import app as celery_app
from oap.choices import EntryStatus, HandlingLevel, OrganisationKind, ParticipationRole
from oap.export import Sheet, write_csv, write_xlsx
from oap.models import ImportJob, ResultEntry
from oap.spreadsheets import IMPORT_COLUMNS
from tests import factories as f

pytestmark = pytest.mark.django_db

IMPORT = reverse("admin:oap_resultentry_import")


@pytest.fixture
def spain(db):
    es = f.OrganisationFactory(code="ES", name="Spain")
    de = f.OrganisationFactory(code="DE", name="Germany")
    plan = f.PlanFactory(code="DRUGS-CCH", driver=es)
    actions = []
    for n in range(60):
        action = f.ActionFactory(plan=plan, code=f"DRUGS-CCH {n}.1")
        f.ParticipationFactory(action=action, organisation=es, role=ParticipationRole.LEADER)
        f.ParticipationFactory(action=action, organisation=de)
        actions.append(action)
    types = [f.ResultTypeFactory(code=f"counter_{n:02d}") for n in range(30)]
    user = f.UserFactory(username="es.coordinator", organisation=es, is_staff=True)
    return {"es": es, "de": de, "actions": actions, "types": types, "user": user}


def rows_for(world, count, organisation="ES"):
    """`count` distinct valid rows for Spain: actions × counters × years, every other counter by half-year."""
    rows = []
    for year in range(2022, 2026):
        for action in world["actions"]:
            for n, counter in enumerate(world["types"]):
                for half in ("1", "2") if n % 2 else ("",):
                    rows.append([action.code, organisation, counter.code, str(year), half, "3", ""])
                    if len(rows) == count:
                        return rows
    raise AssertionError("not enough combinations")


def upload(client, rows, name="results.csv"):
    if name.endswith(".xlsx"):
        content = write_xlsx(Sheet(title="Results", header=IMPORT_COLUMNS, rows=rows))
    else:
        content = write_csv(IMPORT_COLUMNS, rows)
    return client.post(IMPORT, {"file": SimpleUploadedFile(name, content)}, follow=True)


def error_table(response):
    return [(e["row"], e["column"], e["message"]) for e in response.context["job"].errors]


def test_template_has_the_import_columns(client, spain):
    client.force_login(spain["user"])
    response = client.get(reverse("admin:oap_resultentry_import_template", args=["csv"]))
    header = next(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert header == IMPORT_COLUMNS
    book = load_workbook(
        io.BytesIO(client.get(reverse("admin:oap_resultentry_import_template", args=["xlsx"])).content)
    )
    assert [c.value for c in next(book.active.iter_rows())] == IMPORT_COLUMNS


@pytest.mark.parametrize(("name", "count"), [("results.csv", 10_000), ("results.xlsx", 1_000)])
def test_a_file_with_one_bad_row_imports_nothing_then_everything_once_fixed(
    client, spain, name, count, settings
):
    settings.IMPORT_ASYNC_ROWS = 100_000  # this test imports in the request; the task path is tested below
    client.force_login(spain["user"])
    rows = rows_for(spain, count)
    bad = count * 6 // 10
    rows[bad][5] = -2  # spreadsheet row bad + 2 (the header is row 1)
    response = upload(client, rows, name)
    assert response.context["job"].status == ImportJob.Status.INVALID
    assert error_table(response) == [(bad + 2, "value", "Values are never negative.")]
    page = response.content.decode()
    assert f"<td>{bad + 2}</td>" in page and "Values are never negative." in page
    assert "Nothing was imported" in page
    assert ResultEntry.objects.count() == 0

    rows[bad][5] = "2"
    response = upload(client, rows, name)
    job = response.context["job"]
    assert job.status == ImportJob.Status.VALIDATED and job.total_rows == count
    response = client.post(
        reverse("admin:oap_resultentry_import_job", args=[job.pk]), {"confirm": "1"}, follow=True
    )
    assert response.status_code == 200
    entries = ResultEntry.objects.filter(organisation=spain["es"], status=EntryStatus.DRAFT)
    assert entries.count() == count
    history = ResultEntry.history.filter(history_type="+")
    assert history.count() == count
    assert set(history.values_list("history_user__username", flat=True)) == {"es.coordinator"}
    assert entries.filter(year=2022, half_year=None).first().value == Decimal("3")


def test_a_row_for_another_organisation_is_refused_for_that_row(client, spain):
    client.force_login(spain["user"])
    rows = rows_for(spain, 5)
    rows[3][1] = "DE"  # Germany takes part, but this is Spain's coordinator
    response = upload(client, rows)
    assert error_table(response) == [
        (5, "organisation", "You may record results only for your own organisation.")
    ]
    assert ResultEntry.objects.count() == 0


def test_every_bad_row_is_listed_with_row_column_and_rule(client, spain):
    client.force_login(spain["user"])
    rows = rows_for(spain, 6)
    rows[0][0] = "NO-SUCH 1.1"
    rows[1][2] = "no_such_counter"
    rows[2][3] = "twenty"
    rows[3][4] = "3"
    rows[5] = list(rows[4])  # the same period twice
    errors = error_table(upload(client, rows))
    assert errors == [
        (2, "action", "No operational action with code 'NO-SUCH 1.1'."),
        (3, "result_type", "No result type with code 'no_such_counter'."),
        (4, "year", "Give a year such as 2024."),
        (5, "half_year", "Give 1 (January–June), 2 (July–December) or nothing for the whole year."),
        (7, "result_type", "The same period is given again in row 6."),
    ]


def test_bad_files_are_explained(client, spain):
    client.force_login(spain["user"])
    bad_header = client.post(
        IMPORT, {"file": SimpleUploadedFile("r.csv", b"action,org\nX,ES\n")}, follow=True
    )
    assert error_table(bad_header)[0][1] == "file" and "lacks the column" in error_table(bad_header)[0][2]
    not_xlsx = client.post(IMPORT, {"file": SimpleUploadedFile("r.xlsx", b"not a workbook")}, follow=True)
    assert "not a readable XLSX" in error_table(not_xlsx)[0][2]
    wrong_type = client.post(IMPORT, {"file": SimpleUploadedFile("r.pdf", b"%PDF")})
    assert "Upload a .csv or .xlsx file." in wrong_type.content.decode()


def test_a_large_import_runs_as_a_task_with_progress(
    client, spain, settings, django_capture_on_commit_callbacks
):
    settings.IMPORT_ASYNC_ROWS = 50
    client.force_login(spain["user"])
    job = upload(client, rows_for(spain, 120)).context["job"]
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True  # the queue itself is tested with a real worker elsewhere
    try:
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                reverse("admin:oap_resultentry_import_job", args=[job.pk]), {"confirm": "1"}
            )
    finally:
        celery_app.conf.task_always_eager = eager
    assert response.status_code == 302
    job.refresh_from_db()
    assert (job.status, job.imported_rows) == (ImportJob.Status.DONE, 120)
    progress = client.get(reverse("admin:oap_resultentry_import_progress", args=[job.pk])).json()
    assert progress == {
        "status": "done",
        "progress": 100,
        "total_rows": 120,
        "imported_rows": 120,
        "errors": [],
    }
    # confirming again changes nothing
    client.post(reverse("admin:oap_resultentry_import_job", args=[job.pk]), {"confirm": "1"})
    assert ResultEntry.objects.count() == 120


def test_only_the_uploader_sees_an_import(client, spain):
    client.force_login(spain["user"])
    job = upload(client, rows_for(spain, 2)).context["job"]
    other = f.UserFactory(username="es.other", organisation=spain["es"], is_staff=True)
    client.force_login(other)
    assert client.get(reverse("admin:oap_resultentry_import_job", args=[job.pk])).status_code == 404


# --- exports ---------------------------------------------------------------------------------


@pytest.fixture
def partner_world(db):
    co = f.OrganisationFactory(code="CO", name="Colombia", kind=OrganisationKind.THIRD_COUNTRY)
    es = f.OrganisationFactory(code="ES", name="Spain")
    arrests = f.ResultTypeFactory(code="arrests")
    shared = f.ActionFactory(code="DRUGS-CCH 1.1", handling=HandlingLevel.EU)
    hidden = f.ActionFactory(code="HRCN 1.1", handling=HandlingLevel.PARTICIPANTS)
    open_ = f.ActionFactory(code="MS 1.1", handling=HandlingLevel.PARTNERS)
    for action in (shared, hidden, open_):
        f.ParticipationFactory(action=action, organisation=es, role=ParticipationRole.LEADER)
    f.ParticipationFactory(action=shared, organisation=co)
    for action in (shared, hidden, open_):
        f.ResultEntryFactory(
            action=action, organisation=es, result_type=arrests, status=EntryStatus.VALIDATED
        )
    f.ResultEntryFactory(
        action=shared, organisation=es, result_type=arrests, year=2023, status=EntryStatus.DRAFT
    )
    return f.UserFactory(username="co.partner", organisation=co, is_staff=True)


def exported_actions(client, url, kind):
    response = client.get(url)
    content = b"".join(response.streaming_content) if response.streaming else response.content
    if kind == "csv":
        reader = csv.DictReader(io.StringIO(content.decode("utf-8-sig")))
        return sorted(row.get("action") or row.get("code") for row in reader)
    sheet = load_workbook(io.BytesIO(content)).active
    rows = list(sheet.iter_rows(values_only=True))
    column = rows[0].index("action") if "action" in rows[0] else rows[0].index("code")
    return sorted(row[column] for row in rows[1:])


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_third_country_export_holds_only_rows_it_may_see(client, partner_world, kind):
    client.force_login(partner_world)
    results = exported_actions(client, reverse("admin:oap_resultentry_export", args=[kind]), kind)
    assert results == ["DRUGS-CCH 1.1", "MS 1.1"]  # not the hidden action, not Spain's draft
    actions = exported_actions(client, reverse("admin:oap_operationalaction_export", args=[kind]), kind)
    assert actions == ["DRUGS-CCH 1.1", "MS 1.1"]


def test_export_follows_the_active_filters(client, partner_world):
    client.force_login(partner_world)
    url = reverse("admin:oap_resultentry_export", args=["csv"]) + "?q=MS"
    assert exported_actions(client, url, "csv") == ["MS 1.1"]


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_api_export_holds_only_rows_the_partner_may_see_with_its_filters(client, partner_world, kind):
    client.force_login(partner_world)
    results = exported_actions(client, f"/api/v1/results/export/?file={kind}", kind)
    assert results == ["DRUGS-CCH 1.1", "MS 1.1"]
    actions = exported_actions(client, f"/api/v1/actions/export/?file={kind}", kind)
    assert actions == ["DRUGS-CCH 1.1", "MS 1.1"]
    assert exported_actions(client, f"/api/v1/results/export/?file={kind}&action=MS 1.1", kind) == ["MS 1.1"]
    assert client.get("/api/v1/results/export/?file=pdf").status_code == 400
