"""`manage.py load_demo` leaves the 2022 and 2023 factsheets published, compiled in process: the
published figures, their files, the years locked, on every dashboard; a second run publishes
nothing new.

(The other reporting tests start from the demo data without them: see conftest.py.)
"""

from __future__ import annotations

from io import StringIO

import pytest
from django.apps import apps
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings

from oap.models import User, YearLock
from reporting.choices import FactsheetStatus, FileKind
from reporting.demo import publish_demo_factsheets
from reporting.models import Factsheet
from tests.published import ASSETS_OVER_EUR, DRUGS_OVER_KG, EXACT

pytestmark = pytest.mark.django_db

FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
USERNAMES = ["admin", "europol.analyst", "es.coordinator", "de.coordinator", "co.partner", "rs.partner"]


@pytest.fixture(scope="module")
def media(tmp_path_factory):
    return str(tmp_path_factory.mktemp("demo-media"))


@pytest.fixture(scope="module")
def published_demo(django_db_setup, django_db_blocker, media):
    """`manage.py load_demo` as a newcomer runs it, tasks NOT eager: its output."""
    from empact_tracker.celery import app as celery_app

    out = StringIO()
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False
    try:
        with (
            override_settings(PASSWORD_HASHERS=FAST_HASHERS, MEDIA_ROOT=media),
            django_db_blocker.unblock(),
            transaction.atomic(),
        ):
            call_command("load_demo", stdout=out)
            yield out.getvalue()
            transaction.set_rollback(True)
    finally:
        celery_app.conf.task_always_eager = eager


@pytest.fixture(autouse=True)
def _media_root(settings, media):
    """The module's MEDIA_ROOT, where load_demo wrote the factsheets' files (not one per test)."""
    settings.MEDIA_ROOT = media


def published(year: int) -> Factsheet:
    return Factsheet.objects.get(year=year, priority__isnull=True, status=FactsheetStatus.PUBLISHED)


@pytest.mark.parametrize("year", [2022, 2023])
def test_load_demo_publishes_the_factsheet_and_locks_the_year(published_demo, year):
    factsheet = published(year)
    analyst = User.objects.get(username="europol.analyst")
    assert (factsheet.version, factsheet.published_by, factsheet.requested_by) == (1, analyst, analyst)
    assert f"factsheet {year} (EU-wide) version 1: published now" in published_demo
    assert not Factsheet.objects.filter(year=year).exclude(pk=factsheet.pk).exists()
    headline = factsheet.figures["headline"]
    for code, expected in EXACT[year].items():
        assert headline[code] == expected, code
    assert ASSETS_OVER_EUR[year] < headline["assets_seized_eur"] < ASSETS_OVER_EUR[year] * 1.01
    assert DRUGS_OVER_KG[year] < headline["drugs_seized_kg"] < DRUGS_OVER_KG[year] * 1.01
    files = {f.kind: f for f in factsheet.files.all()}
    assert set(files) == set(FileKind.values)
    assert all(default_storage.exists(f.file.name) and f.size > 0 for f in files.values())
    lock = YearLock.objects.get(year=year)
    assert lock.locked_by == analyst and f"Factsheet {year} version 1 published" in lock.reason
    assert not YearLock.objects.exclude(year__in=[2022, 2023]).exists()


def test_every_dashboard_shows_both_factsheets(published_demo, client):
    for username in USERNAMES:
        client.force_login(User.objects.get(username=username))
        page = client.get("/admin/").content.decode()
        for year in (2022, 2023):
            assert f"{year} · EU-wide · version 1" in page, username
        client.logout()


def test_a_second_run_publishes_nothing_new(published_demo):
    models = [
        apps.get_model(label) for label in ("reporting.Factsheet", "reporting.FactsheetFile", "oap.YearLock")
    ]
    models += [model.history.model for model in models if hasattr(model, "history")]
    before = {model: list(model._default_manager.order_by("pk").values()) for model in models}
    out = StringIO()
    with override_settings(PASSWORD_HASHERS=FAST_HASHERS):
        call_command("load_demo", stdout=out)
    assert {model: list(model._default_manager.order_by("pk").values()) for model in models} == before
    assert out.getvalue().count("already published") == 2


def test_the_compile_runs_in_process_not_through_a_queue(published_demo, monkeypatch):
    """Whatever the Celery configuration: publishing the demo's factsheets never sends a task."""
    from reporting import tasks

    def refuse(*args, **kwargs):
        raise AssertionError("the demo's factsheets must not be queued")

    monkeypatch.setattr(tasks.compile_factsheet_task, "apply_async", refuse)
    monkeypatch.setattr(tasks.compile_factsheet_task, "delay", refuse)
    analyst = User.objects.get(username="europol.analyst")
    [(factsheet, new)] = publish_demo_factsheets(by=analyst, years=(2024,))
    assert new and factsheet.status == FactsheetStatus.PUBLISHED and factsheet.checksum
    assert factsheet.figures["headline"]["arrests"] > 0
