"""Every figure rule, through every path that writes entries: the admin form, the API (one entry
and bulk) and the spreadsheet import. Each path must refuse (and store nothing) or accept alike,
because each asks the one row checker (oap/services/checks.py)."""

import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.test import APIClient

from oap.choices import EntryStatus, ParticipationRole, ResultCategory, ResultUnit
from oap.export import write_csv
from oap.models import ImportJob, ResultEntry
from oap.spreadsheets import IMPORT_COLUMNS
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db, settings):
    settings.IMPORT_ASYNC_ROWS = 10_000  # imports run in the request here
    es = f.OrganisationFactory(code="ES", name="Spain")
    de = f.OrganisationFactory(code="DE", name="Germany")
    plan = f.PlanFactory(code="DRUGS-CCH", driver=de, start_year=2022, end_year=2025)
    action = f.ActionFactory(
        plan=plan, code="DRUGS-CCH 1.1", start="2024-02-01", end="2025-06-30", title="Cocaine corridors"
    )
    f.ParticipationFactory(action=action, organisation=es, role=ParticipationRole.LEADER)
    f.ParticipationFactory(action=action, organisation=de)
    counters = {
        "arrests": f.ResultTypeFactory(code="arrests", name="Arrests", unit=ResultUnit.COUNT),
        "cocaine_kg": f.ResultTypeFactory(
            code="cocaine_kg", name="Cocaine seized", unit=ResultUnit.KG, category=ResultCategory.DRUGS
        ),
        "assets_seized_eur": f.ResultTypeFactory(
            code="assets_seized_eur",
            name="Assets seized",
            unit=ResultUnit.EUR,
            category=ResultCategory.ASSETS,
        ),
    }
    user = f.UserFactory(username="es.coordinator", organisation=es, is_staff=True)
    return {"es": es, "de": de, "action": action, "counters": counters, "user": user}


def row(**changes):
    base = {
        "action": "DRUGS-CCH 1.1",
        "organisation": "ES",
        "result_type": "arrests",
        "year": 2024,
        "half_year": "",
        "value": "12",
        "comment": "",
    }
    base.update(changes)
    return base


# --- the four paths: each returns the text of its refusal, or "" when it stored the row ---------


def through_admin(client, world, data):
    client.force_login(world["user"])
    ids = {
        "action": world["action"].pk,
        "organisation": world["es"].pk,
        "result_type": world["counters"][data["result_type"]].pk,
    }
    form = {**data, **ids, "half_year": data["half_year"] or ""}
    response = client.post(reverse("admin:oap_resultentry_add"), form)
    if response.status_code == 302:
        return ""
    assert response.status_code == 200
    return response.content.decode()


def _api(world):
    client = APIClient()
    client.force_authenticate(world["user"])
    return client


def _json_row(data):
    return {**data, "half_year": data["half_year"] or None}


def through_api(client, world, data):
    response = _api(world).post("/api/v1/results/", _json_row(data), format="json")
    return "" if response.status_code == 201 else response.content.decode()


def through_bulk(client, world, data):
    response = _api(world).post("/api/v1/results/bulk/", {"results": [_json_row(data)]}, format="json")
    return "" if response.status_code == 201 else response.content.decode()


def through_import(client, world, data):
    client.force_login(world["user"])
    content = write_csv(IMPORT_COLUMNS, [[data[name] for name in IMPORT_COLUMNS]])
    response = client.post(
        reverse("admin:oap_resultentry_import"), {"file": SimpleUploadedFile("r.csv", content)}, follow=True
    )
    job = response.context["job"]
    if job.status != ImportJob.Status.VALIDATED:
        return " ".join(e["message"] for e in job.errors)
    client.post(reverse("admin:oap_resultentry_import_job", args=[job.pk]), {"confirm": "1"})
    job.refresh_from_db()
    return "" if job.status == ImportJob.Status.DONE else " ".join(e["message"] for e in job.errors)


PATHS = {"admin": through_admin, "api": through_api, "bulk": through_bulk, "import": through_import}


@pytest.fixture(params=list(PATHS))
def write(request, client, world):
    return lambda data: PATHS[request.param](client, world, data)


def stored(**where):
    return ResultEntry.objects.filter(**where)


# --- periods ----------------------------------------------------------------------------------


def test_a_whole_year_beside_half_years_is_refused(write, world):
    """4 + 5 + 9 = 18 counted twice, before: the whole-year figure beside H1 and H2."""
    assert write(row(half_year="1", value="4")) == ""
    assert write(row(half_year="2", value="5")) == ""
    refusal = write(row(half_year="", value="9"))
    assert "reported by half-year already" in refusal
    assert stored(year=2024).count() == 2


def test_a_half_year_beside_the_whole_year_is_refused(write, world):
    assert write(row(value="9")) == ""
    assert "reported for the whole year already" in write(row(half_year="1", value="4"))
    assert stored(year=2024).count() == 1


# --- years ------------------------------------------------------------------------------------


@pytest.mark.parametrize("year", [2023, 2026, 2031])
def test_a_year_outside_the_actions_years_is_refused(write, world, year):
    refusal = write(row(year=year))
    assert "DRUGS-CCH 1.1 runs 2024 to 2025" in refusal
    assert not stored().exists()


# --- units ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("counter", "value", "rule"),
    [
        ("arrests", "1.5", "counted in whole numbers"),
        ("cocaine_kg", "1.2345", "at most 3 decimals"),
        ("cocaine_kg", "250000000", "more than one entry of Cocaine seized can hold"),
        ("arrests", "5000000", "more than one entry of Arrests can hold"),
        ("assets_seized_eur", "-3", "never negative"),
    ],
)
def test_a_value_breaking_its_units_rule_is_refused(write, world, counter, value, rule):
    assert rule in write(row(result_type=counter, value=value)).replace("\u202f", " ").replace("&#x27;", "'")
    assert not stored().exists()


def test_amounts_keep_three_decimals_and_counts_whole_numbers(write, world):
    assert write(row(result_type="cocaine_kg", value="1250.125")) == ""
    assert write(row(result_type="arrests", value="12")) == ""
    assert stored(result_type__code="cocaine_kg").get().value == Decimal("1250.125")


# --- texts ------------------------------------------------------------------------------------


def test_a_comment_over_2000_characters_is_refused(write, world):
    assert "At most 2000 characters" in write(row(comment="x" * 2001))
    assert not stored().exists()
    assert write(row(comment="x" * 2000)) == ""


# --- decimal input: never a silent reinterpretation -------------------------------------------


@pytest.mark.parametrize("path", ["admin", "import"])
def test_a_decimal_comma_is_read_as_a_decimal_comma(client, world, path):
    """`1250,5` typed by a Spanish coordinator was stored as 12 505 kg."""
    assert PATHS[path](client, world, row(result_type="cocaine_kg", value="1250,5")) == ""
    assert stored().get().value == Decimal("1250.5")


@pytest.mark.parametrize("path", ["admin", "import"])
def test_an_ambiguous_separator_is_refused_naming_the_value(client, world, path):
    refusal = PATHS[path](client, world, row(result_type="cocaine_kg", value="1,250"))
    assert "“1,250” could be 1250 or 1.25" in refusal.replace("&#x201c;", "“").replace("&#x201d;", "”")
    assert not stored().exists()


def test_a_semicolon_csv_with_decimal_commas_imports(client, world):
    """Excel in Spain, Germany and France writes `;` between cells and `,` before decimals."""
    client.force_login(world["user"])
    text = "action;organisation;result_type;year;half_year;value;comment\r\n"
    text += "DRUGS-CCH 1.1;ES;cocaine_kg;2024;;1250,5;incautación\r\n"
    response = client.post(
        reverse("admin:oap_resultentry_import"),
        {"file": SimpleUploadedFile("r.csv", io.BytesIO(text.encode("utf-8")).getvalue())},
        follow=True,
    )
    job = response.context["job"]
    assert job.status == ImportJob.Status.VALIDATED, job.errors
    client.post(reverse("admin:oap_resultentry_import_job", args=[job.pk]), {"confirm": "1"})
    assert stored().get().value == Decimal("1250.5")


# --- who first: a refusal says nothing about rows the user cannot see (issue 12, finding 3) ----


@pytest.mark.parametrize("path", ["bulk", "import"])
def test_a_row_for_another_organisation_says_only_that(client, world, path):
    ResultEntry.objects.create(
        action=world["action"],
        organisation=world["de"],
        result_type=world["counters"]["cocaine_kg"],
        year=2024,
        value=Decimal(3),
        status=EntryStatus.DRAFT,
    )
    refusal = PATHS[path](client, world, row(organisation="DE", result_type="cocaine_kg"))
    assert "only for your own organisation" in refusal
    assert "already" not in refusal and "entry" not in refusal.split("own organisation")[1]
    assert stored().count() == 1
