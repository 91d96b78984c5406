"""The factsheet page, its downloads and the entries exports: who reads what.

One draft (2022) and one published version (2023) are compiled once for the module.
"""

import csv
import io

import pytest
from django.db import transaction
from django.urls import reverse
from openpyxl import load_workbook

from oap.choices import EntryStatus
from oap.models import OperationalAction, ResultEntry, User
from reporting import services
from reporting.choices import FactsheetStatus
from reporting.models import Factsheet

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def factsheets(demo_data, django_db_blocker, tmp_path_factory):
    from django.test import override_settings

    media = tmp_path_factory.mktemp("media")
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=str(media)), transaction.atomic():
        analyst = User.objects.get(username="europol.analyst")
        for year in (2022, 2023):
            services.factsheet_request_compile(by=analyst, year=year)
        # run the tasks (sent on commit in real life) here, inside the module's transaction
        for factsheet in Factsheet.objects.all():
            services.factsheet_compile(factsheet_id=factsheet.pk)
        published = services.factsheet_publish(by=analyst, factsheet=Factsheet.objects.get(year=2023))
        yield {"draft": Factsheet.objects.get(year=2022), "published": published, "media": str(media)}


@pytest.fixture(autouse=True)
def _media(settings, factsheets):
    settings.MEDIA_ROOT = factsheets["media"]


def login(client, username):
    client.force_login(User.objects.get(username=username))
    return client


def test_anonymous_users_are_sent_to_the_admin_login(client, factsheets):
    response = client.get(reverse("reporting:factsheet", args=[2023]))
    assert response.status_code == 302 and response.url.startswith(reverse("admin:login"))
    response = client.get(reverse("reporting:download", args=[2023, "entries.csv"]))
    assert response.status_code == 302


def test_the_published_page_for_every_signed_in_user(client, factsheets):
    response = login(client, "co.partner").get(reverse("reporting:factsheet", args=[2023]))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="chart-by-priority"' in html and 'id="chart-vs-previous"' in html
    assert html.count("<svg") >= 2
    assert "13\u202f871" in html  # arrests
    assert "Published version 1" in html


def test_drafts_are_not_shown_to_a_coordinator(client, factsheets):
    response = login(client, "es.coordinator").get(reverse("reporting:factsheet", args=[2022]))
    assert response.status_code == 404
    response = client.get(reverse("reporting:download", args=[2022, "factsheet.pdf"]))
    assert response.status_code == 404


def test_drafts_are_shown_to_the_analyst(client, factsheets):
    response = login(client, "europol.analyst").get(reverse("reporting:factsheet", args=[2022]))
    assert response.status_code == 200
    assert "Not published" in response.content.decode()


def test_stored_files_download(client, factsheets):
    login(client, "de.coordinator")
    pdf = client.get(reverse("reporting:download", args=[2023, "factsheet.pdf"]))
    assert pdf.status_code == 200 and b"".join(pdf.streaming_content).startswith(b"%PDF")
    xlsx = client.get(reverse("reporting:download", args=[2023, "figures.xlsx"]))
    book = load_workbook(io.BytesIO(b"".join(xlsx.streaming_content)))
    headline = {row[0]: row[2] for row in book["Headline"].iter_rows(min_row=2, values_only=True)}
    assert headline["arrests"] == 13871 and headline["migrant_smugglers_arrested"] == 6801
    figures = client.get(reverse("reporting:download", args=[2023, "figures.csv"]))
    rows = list(csv.reader(io.StringIO(b"".join(figures.streaming_content).decode())))
    assert ["headline", "arrests", "Arrests", "2023", "13871"] in rows
    assert client.get(reverse("reporting:download", args=[2023, "secrets.txt"])).status_code == 404


def _csv_entries(client, year):
    response = client.get(reverse("reporting:download", args=[year, "entries.csv"]))
    assert response.status_code == 200
    return list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_entries_export_holds_only_the_rows_the_requester_may_see(client, factsheets):
    partner = User.objects.get(username="co.partner")
    visible_actions = set(OperationalAction.objects.visible_to(partner).values_list("code", flat=True))
    hidden = ResultEntry.objects.filter(year=2023, status=EntryStatus.VALIDATED).exclude(
        action__code__in=visible_actions
    )
    assert hidden.exists()  # the demo has validated results of actions hidden from Colombia
    rows = _csv_entries(login(client, "co.partner"), 2023)
    expected = ResultEntry.objects.visible_to(partner).filter(year=2023, status=EntryStatus.VALIDATED)
    assert len(rows) == expected.count() > 0
    assert {row["action"] for row in rows} <= visible_actions
    assert not {row["action"] for row in rows} & set(hidden.values_list("action__code", flat=True))

    response = client.get(reverse("reporting:download", args=[2023, "entries.xlsx"]))
    sheet = load_workbook(io.BytesIO(response.content)).active
    actions = {row[4] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert sheet.max_row - 1 == expected.count() and actions <= visible_actions


def test_the_hub_exports_every_validated_entry(client, factsheets):
    rows = _csv_entries(login(client, "europol.analyst"), 2023)
    assert len(rows) == ResultEntry.objects.filter(year=2023, status=EntryStatus.VALIDATED).count()
    assert sum(float(r["value"]) for r in rows if r["result_type"] == "arrests") == 13871


def test_the_list_page(client, factsheets):
    html = login(client, "es.coordinator").get(reverse("reporting:factsheet-list")).content.decode()
    assert "<td>2023</td>" in html and "<td>2022</td>" not in html  # the 2022 draft is hidden
    html = login(client, "europol.analyst").get(reverse("reporting:factsheet-list")).content.decode()
    assert "<td>2023</td>" in html and "<td>2022</td>" in html


def test_admin_lists_factsheets_with_downloads_and_compiles(
    client, factsheets, django_capture_on_commit_callbacks
):
    login(client, "europol.analyst")
    changelist = reverse("admin:reporting_factsheet_changelist")
    html = client.get(changelist).content.decode()
    assert "factsheet.pdf" in html and "<progress" in html
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            changelist,
            {"action": "compile_selected", "_selected_action": [factsheets["draft"].pk]},
            follow=True,
        )
    assert response.status_code == 200
    assert Factsheet.objects.get(pk=factsheets["draft"].pk).status == FactsheetStatus.COMPILED
    response = client.post(
        changelist, {"action": "publish_selected", "_selected_action": [factsheets["draft"].pk]}, follow=True
    )
    assert Factsheet.objects.get(pk=factsheets["draft"].pk).status == FactsheetStatus.PUBLISHED


def test_a_coordinator_sees_published_factsheets_in_the_admin_but_no_actions(client, factsheets):
    login(client, "es.coordinator")
    response = client.get(reverse("admin:reporting_factsheet_changelist"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "compile_selected" not in html and "publish_selected" not in html
    assert f"/{factsheets['draft'].pk}/change/" not in html
