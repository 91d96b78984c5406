"""The factsheet page, its downloads and the entries exports: who reads what.

One draft (2022) and one published version (2023) are compiled once for the module.
"""

import csv
import io
import re

import pytest
from django.db import transaction
from django.template import loader
from django.urls import include, path, reverse
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
    rows = list(csv.reader(io.StringIO(b"".join(figures.streaming_content).decode("utf-8-sig"))))
    assert ["headline", "arrests", "Arrests", "2023", "13871"] in rows
    assert client.get(reverse("reporting:download", args=[2023, "secrets.txt"])).status_code == 404


def _csv_entries(client, year):
    response = client.get(reverse("reporting:download", args=[year, "entries.csv"]))
    assert response.status_code == 200
    return list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))


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
    assert "factsheet.pdf" in html and "compiled 20" in html  # a status, and when it was compiled
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


# --- one look: the report pages inside the admin, error pages, favicon ----------------------

SCRIPT = re.compile(r"<script\b([^>]*)>", re.S)


def assert_admin_frame(html: str) -> None:
    """The admin's header (site name, user links), breadcrumbs back to the dashboard, no inline script."""
    assert '<div id="site-name"><a href="/admin/">EMPACT Tracker</a></div>' in html
    assert "Django administration" not in html
    assert 'id="logout-form"' in html and 'href="/reports/factsheets/">Factsheets</a>' in html
    assert re.search(r'<div class="breadcrumbs">\s*<a href="/admin/">Home</a>', html)
    assert 'rel="icon" href="/static/favicon.svg"' in html
    assert all("src=" in attributes for attributes in SCRIPT.findall(html)), "inline script (CSP forbids it)"


def test_the_report_pages_are_inside_the_admin(client, factsheets):
    login(client, "de.coordinator")
    for url in (reverse("reporting:factsheet-list"), reverse("reporting:factsheet", args=[2023])):
        response = client.get(url)
        assert response.status_code == 200
        assert_admin_frame(response.content.decode())
    html = client.get(reverse("reporting:factsheet", args=[2023])).content.decode()
    assert '<a href="/reports/factsheets/">Factsheets</a>' in html  # a breadcrumb back to the list


def test_the_stored_html_file_stays_a_document_of_its_own(client, factsheets):
    login(client, "de.coordinator")
    response = client.get(reverse("reporting:download", args=[2023, "factsheet.html"]))
    html = b"".join(response.streaming_content).decode()
    assert html.startswith("<!DOCTYPE html>") and "<script" not in html and "site-name" not in html
    assert "13\u202f871" in html and "Published version 1" in html


def test_a_missing_factsheet_gets_the_branded_404_with_its_explanation(client, factsheets):
    login(client, "es.coordinator")
    response = client.get(reverse("reporting:factsheet", args=[2031]))
    assert response.status_code == 404
    html = response.content.decode()
    assert "No factsheet of 2031 for you to read yet." in html
    assert 'id="back-to-dashboard"' in html and 'href="/admin/"' in html
    assert_admin_frame(html)
    # an unknown address: the page, without Django's resolver details
    html = client.get("/no/such/page/").content.decode()
    assert "Page not found" in html and "Resolver404" not in html and 'id="back-to-dashboard"' in html


def test_a_refusal_gets_the_branded_403_with_a_way_back(client, factsheets):
    login(client, "es.coordinator")
    response = client.get(reverse("admin:reporting_factsheet_add"))  # coordinators do not compile
    assert response.status_code == 403
    html = response.content.decode()
    assert "You may not do this" in html and 'id="back-to-dashboard"' in html
    assert_admin_frame(html)


def _boom(request):
    raise RuntimeError("the database went away")


urlpatterns = [path("boom/", _boom), path("", include("empact_tracker.urls"))]


@pytest.mark.urls(__name__)
def test_a_crash_gets_the_branded_500_without_the_database(client, django_assert_num_queries):
    client.raise_request_exception = False
    with django_assert_num_queries(0):
        response = client.get("/boom/")
    assert response.status_code == 500
    html = response.content.decode()
    assert "EMPACT Tracker" in html and "Something went wrong" in html and 'href="/admin/"' in html
    assert "the database went away" not in html
    # the template alone, with no request and no context at all
    assert "Back to the dashboard" in loader.get_template("500.html").render()


def test_the_favicon_is_answered(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200 and response["Content-Type"] == "image/vnd.microsoft.icon"
    assert response.content.startswith(b"\x00\x00\x01\x00")  # an ICO file
    svg = client.get("/static/favicon.svg")
    assert svg.status_code == 200 and b"<svg" in b"".join(svg.streaming_content)


# --- live progress ------------------------------------------------------------------------


def test_the_progress_of_a_version_as_json_for_those_who_read_it(client, factsheets):
    draft = factsheets["draft"]
    Factsheet.objects.filter(pk=draft.pk).update(status=FactsheetStatus.COMPILING, progress=40)
    url = reverse("reporting:factsheet-progress", args=[draft.pk])
    assert client.get(url).status_code == 302  # signed in only
    data = login(client, "europol.analyst").get(url).json()
    assert data == {
        "id": draft.pk,
        "status": "compiling",
        "progress": 40,
        "text": "Compiling 40 %",
        "done": False,
    }
    assert login(client, "es.coordinator").get(url).status_code == 404  # a draft is not theirs to read
    published = client.get(reverse("reporting:factsheet-progress", args=[factsheets["published"].pk])).json()
    assert published["done"] is True and published["text"] == "Published"


def test_a_running_compile_is_watched_on_the_page_and_in_the_admin(client, factsheets):
    draft = factsheets["draft"]
    Factsheet.objects.filter(pk=draft.pk).update(status=FactsheetStatus.COMPILING, progress=40)
    progress_url = reverse("reporting:factsheet-progress", args=[draft.pk])
    login(client, "europol.analyst")
    for url in (
        reverse("reporting:factsheet", args=[2022]),
        reverse("reporting:factsheet-list"),
        reverse("admin:reporting_factsheet_changelist"),
        reverse("admin:reporting_factsheet_change", args=[draft.pk]),
    ):
        html = client.get(url).content.decode()
        assert f'data-progress-url="{progress_url}"' in html, url
        assert "Compiling 40 %" in html, url
        assert "/static/reporting/progress.js" in html, url
    # nothing to watch once compiled
    Factsheet.objects.filter(pk=draft.pk).update(status=FactsheetStatus.COMPILED, progress=100)
    assert "data-progress-url" not in client.get(reverse("reporting:factsheet", args=[2022])).content.decode()


def test_the_compile_message_leads_to_a_status_that_follows_its_progress(client, factsheets):
    login(client, "europol.analyst")
    response = client.post(
        reverse("admin:reporting_factsheet_add"), {"year": 2024, "priority": ""}, follow=True
    )
    html = response.content.decode()
    assert "the status below follows its progress" in html
    requested = Factsheet.objects.get(year=2024)  # its task is sent on commit (not in this test)
    assert requested.status == FactsheetStatus.COMPILING
    assert f'data-progress-url="{reverse("reporting:factsheet-progress", args=[requested.pk])}"' in html
    assert "/static/reporting/progress.js" in html


# --- messages that fit the reader's role --------------------------------------------------


def test_the_analyst_is_told_what_to_do_not_to_wait_for_themselves(client, factsheets):
    from reporting import dashboard

    analyst = User.objects.get(username="europol.analyst")
    coordinator = User.objects.get(username="es.coordinator")
    assert "appear" not in dashboard.empty_text(analyst) and "compile" in dashboard.empty_text(analyst)
    assert "publish" in dashboard.empty_text(analyst)
    assert dashboard.compile_link(analyst)["url"] == reverse("admin:reporting_factsheet_add")
    assert "once the EMPACT support team publishes them" in dashboard.empty_text(coordinator)
    assert dashboard.compile_link(coordinator) is None

    html = login(client, "europol.analyst").get(reverse("reporting:factsheet-list")).content.decode()
    assert "You compile them and publish them" in html
    assert f'href="{reverse("admin:reporting_factsheet_add")}"' in html
    page = client.get(reverse("reporting:factsheet", args=[2022])).content.decode()
    assert "Compile it again or publish it in the admin" in page
    html = login(client, "es.coordinator").get(reverse("reporting:factsheet-list")).content.decode()
    assert "compile" not in html.lower().replace("compiled", "")


# --- the validated entries' exports, through oap.export -----------------------------------


def test_the_entries_xlsx_has_widths_a_frozen_header_and_numbers(client, factsheets):
    response = login(client, "europol.analyst").get(
        reverse("reporting:download", args=[2023, "entries.xlsx"])
    )
    sheet = load_workbook(io.BytesIO(response.content))["Validated entries"]
    assert sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["F"].width >= 30  # the action's title
    header = [cell.value for cell in sheet[1]]
    value = sheet.cell(row=2, column=header.index("value") + 1).value
    assert isinstance(value, (int, float))
    assert book_created_today(response.content)


def book_created_today(content: bytes) -> bool:
    import datetime

    from django.utils import timezone

    created = load_workbook(io.BytesIO(content)).properties.created
    return abs(created.date() - timezone.now().date()) <= datetime.timedelta(days=1)


def test_the_entries_csv_is_streamed_by_the_export_helper(client, factsheets):
    response = login(client, "europol.analyst").get(reverse("reporting:download", args=[2023, "entries.csv"]))
    content = b"".join(response.streaming_content).decode("utf-8")
    assert content.startswith("\ufeffyear,half_year,")  # oap.export: a BOM for spreadsheet programs
    assert "\r\n" in content and "E+" not in content
