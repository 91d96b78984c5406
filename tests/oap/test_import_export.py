"""Spreadsheet import (all or nothing, every bad row named) and exports limited to what the user sees."""

import csv
import io
import struct
import time
import zipfile
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from empact_tracker.celery import app as celery_app
from oap.choices import EntryStatus, HandlingLevel, OrganisationKind, ParticipationRole
from oap.export import Sheet, write_csv, write_xlsx
from oap.imports import import_job_confirm
from oap.models import ImportJob, ResultEntry, YearLock
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
        "text": str(ImportJob.Status.DONE.label),
        "done": True,
        "total_rows": 120,
        "imported_rows": 120,
        "errors": [],
    }
    # while it runs, the page watches the progress (progress.js polls the JSON): no reload
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.RUNNING)
    page = client.get(reverse("admin:oap_resultentry_import_job", args=[job.pk])).content.decode()
    assert 'data-progress-url="' + reverse("admin:oap_resultentry_import_progress", args=[job.pk]) in page
    assert "http-equiv" not in page and "reporting/progress.js" in page
    running = client.get(reverse("admin:oap_resultentry_import_progress", args=[job.pk])).json()
    assert running["done"] is False and running["text"].endswith("%")
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.DONE)
    # confirming again changes nothing
    client.post(reverse("admin:oap_resultentry_import_job", args=[job.pk]), {"confirm": "1"})
    assert ResultEntry.objects.count() == 120


def test_only_the_uploader_sees_an_import(client, spain):
    client.force_login(spain["user"])
    job = upload(client, rows_for(spain, 2)).context["job"]
    other = f.UserFactory(username="es.other", organisation=spain["es"], is_staff=True)
    client.force_login(other)
    assert client.get(reverse("admin:oap_resultentry_import_job", args=[job.pk])).status_code == 404


def test_a_superuser_reads_every_import_but_confirms_only_its_own(client, spain):
    client.force_login(spain["user"])
    job = upload(client, rows_for(spain, 2)).context["job"]
    hub = f.OrganisationFactory(code="EUROPOL", kind=OrganisationKind.EU_AGENCY, is_hub=True)
    root = f.UserFactory(username="eu.root", organisation=hub, is_staff=True, is_superuser=True)
    client.force_login(root)
    assert client.get(reverse("admin:oap_importjob_change", args=[job.pk])).status_code == 200
    assert client.get(reverse("admin:oap_resultentry_import_job", args=[job.pk])).status_code == 404
    with pytest.raises(PermissionDenied):
        import_job_confirm(by=root, job=job)
    assert import_job_confirm(by=spain["user"], job=job).status == ImportJob.Status.DONE


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


# --- formulas stay text (the one export helper, oap/export.py) --------------------------------

FORMULA = '=HYPERLINK("http://x","y")'


@pytest.fixture
def formula_world(partner_world):
    action = ResultEntry.objects.filter(action__code="MS 1.1").first().action
    action.title = FORMULA
    action.save()
    return partner_world


def export_cells(response):
    return b"".join(response.streaming_content) if response.streaming else response.content


@pytest.mark.parametrize(
    "export_url",
    [
        reverse("admin:oap_operationalaction_export", args=["csv"]),
        reverse("admin:oap_resultentry_export", args=["csv"]),
        "/api/v1/actions/export/?file=csv",
        "/api/v1/results/export/?file=csv",
    ],
)
def test_a_formula_title_is_neutralised_in_csv_exports(client, formula_world, export_url):
    client.force_login(formula_world)
    response = client.get(export_url)
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(export_cells(response).decode("utf-8-sig"))))
    cells = [cell for row in rows for cell in row if "HYPERLINK" in cell]
    assert cells and all(cell == "'" + FORMULA for cell in cells)


@pytest.mark.parametrize(
    "export_url",
    [
        reverse("admin:oap_operationalaction_export", args=["xlsx"]),
        reverse("admin:oap_resultentry_export", args=["xlsx"]),
        "/api/v1/actions/export/?file=xlsx",
        "/api/v1/results/export/?file=xlsx",
    ],
)
def test_a_formula_title_is_text_in_xlsx_exports(client, formula_world, export_url):
    client.force_login(formula_world)
    response = client.get(export_url)
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(export_cells(response))).active
    cells = [cell for row in sheet.iter_rows() for cell in row if "HYPERLINK" in str(cell.value)]
    assert cells
    for cell in cells:
        assert cell.data_type == "s"  # a string cell, never a formula ("f")
        assert cell.value in (FORMULA, "'" + FORMULA)


# --- decompression bombs and oversized files ---------------------------------------------------

XLSX_PARTS = {
    "[Content_Types].xml": (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        "</Types>"
    ),
    "_rels/.rels": (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
        'officeDocument" Target="xl/workbook.xml"/></Relationships>'
    ),
    "xl/workbook.xml": (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        '<sheets><sheet name="Results" sheetId="1" r:id="rId1"/></sheets></workbook>'
    ),
    "xl/_rels/workbook.xml.rels": (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
        'worksheet" Target="worksheets/sheet1.xml"/></Relationships>'
    ),
}


def _inline_row(values):
    """A row of inline-string cells, without the optional row and cell references (so rows repeat)."""
    cells = "".join(f'<c t="inlineStr"><is><t>{value}</t></is></c>' for value in values)
    return f"<row>{cells}</row>"


def bomb_xlsx(unpacked_mb: int, row=("DRUGS-CCH 0.1", "ES", "counter_00", "2024", "", "1", "")) -> bytes:
    """A well-formed XLSX whose one sheet repeats a valid row until it unpacks to `unpacked_mb` MB."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, text in XLSX_PARTS.items():
            archive.writestr(name, text)
        with archive.open("xl/worksheets/sheet1.xml", "w") as sheet:
            sheet.write(
                b'<?xml version="1.0" encoding="UTF-8"?>'
                b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
            )
            sheet.write(_inline_row(IMPORT_COLUMNS).encode())
            chunk, written = (_inline_row(row) * 1000).encode(), 0
            while written < unpacked_mb * 1024 * 1024:
                sheet.write(chunk)
                written += len(chunk)
            sheet.write(b"</sheetData></worksheet>")
    return out.getvalue()


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


def stored_files(media):
    return sorted(p for p in media.rglob("*") if p.is_file()) if media.exists() else []


def test_a_decompression_bomb_is_refused_at_once_and_leaves_nothing(client, spain, media, capsys):
    client.force_login(spain["user"])
    bomb = bomb_xlsx(unpacked_mb=110)
    assert len(bomb) < 1024 * 1024  # small on the wire...
    unpacked = sum(info.file_size for info in zipfile.ZipFile(io.BytesIO(bomb)).infolist())
    assert unpacked > 100 * 1024 * 1024  # ...over 100 MB unpacked
    started = time.perf_counter()
    response = client.post(IMPORT, {"file": SimpleUploadedFile("bomb.xlsx", bomb)}, follow=True)
    elapsed = time.perf_counter() - started
    with capsys.disabled():  # a figure for the report, never an assertion
        print(
            f"\n[measured] {len(bomb) // 1024} KB XLSX unpacking to {unpacked // 2**20} MB refused in {elapsed:.2f} s"
        )
    job = response.context["job"]
    assert job.status == ImportJob.Status.INVALID
    assert error_table(response) == [
        (
            1,
            "file",
            "bomb.xlsx unpacks to more than 64 MB, more than any results file of the allowed rows needs: "
            "save it again without extra sheets, images or formatting, or split it.",
        )
    ]
    assert "unpacks to more than 64 MB" in response.content.decode()
    assert ResultEntry.objects.count() == 0
    assert not job.file and stored_files(media) == []


def test_a_part_larger_than_its_header_says_is_refused(client, spain, media):
    """The declared sizes may lie: unpacking stops at the declared size and the check fails."""
    client.force_login(spain["user"])
    lying = bytearray(bomb_xlsx(unpacked_mb=2))
    at = struct.unpack_from("<I", lying, lying.rfind(b"PK\x05\x06") + 16)[0]  # the central directory
    while True:  # to the sheet's record
        name_length, extra_length, comment_length = struct.unpack_from("<HHH", lying, at + 28)
        if lying[at + 46 : at + 46 + name_length] == b"xl/worksheets/sheet1.xml":
            break
        at += 46 + name_length + extra_length + comment_length
    struct.pack_into("<I", lying, at + 24, 1000)  # declared uncompressed size: 1000 bytes
    response = client.post(IMPORT, {"file": SimpleUploadedFile("lying.xlsx", bytes(lying))}, follow=True)
    assert error_table(response) == [(1, "file", "lying.xlsx is not a readable XLSX workbook.")]
    assert ResultEntry.objects.count() == 0 and stored_files(media) == []


@pytest.mark.parametrize("name", ["results.csv", "results.xlsx"])
def test_reading_stops_at_the_row_limit(client, spain, media, settings, name):
    settings.IMPORT_MAX_ROWS = 100
    client.force_login(spain["user"])
    response = upload(client, rows_for(spain, 150), name)
    assert error_table(response) == [(1, "file", "At most 100 rows per file; this one has more. Split it.")]
    assert ResultEntry.objects.count() == 0 and stored_files(media) == []
    response = upload(client, rows_for(spain, 100), name)
    assert response.context["job"].status == ImportJob.Status.VALIDATED
    assert len(stored_files(media)) == 1  # a file waiting for its confirmation is kept


def test_blank_rows_count_against_the_cell_limit(client, spain, media, settings):
    settings.IMPORT_MAX_ROWS = 100
    client.force_login(spain["user"])
    content = bomb_xlsx(unpacked_mb=1, row=("", "", "", "", "", "", " "))  # thousands of blank rows
    response = client.post(IMPORT, {"file": SimpleUploadedFile("blank.xlsx", content)}, follow=True)
    (row, column, message), *_ = error_table(response)
    assert (row, column) == (1, "file")
    assert message.startswith("The file holds more than 1414 cells (blank rows included) by row 204")
    assert stored_files(media) == []


def test_a_refused_import_after_confirmation_deletes_its_file(
    client, spain, media, settings, django_capture_on_commit_callbacks
):
    settings.IMPORT_ASYNC_ROWS = 100
    client.force_login(spain["user"])
    rows = rows_for(spain, 3)
    job = upload(client, rows).context["job"]
    assert job.status == ImportJob.Status.VALIDATED and len(stored_files(media)) == 1
    YearLock.objects.create(year=int(rows[0][3]))  # meanwhile the year closed: the import is refused
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("admin:oap_resultentry_import_job", args=[job.pk]), {"confirm": "1"})
    job.refresh_from_db()
    assert job.status == ImportJob.Status.INVALID and job.errors and not job.file
    assert stored_files(media) == []
