"""Requesting, compiling (the task), publishing: permissions, idempotency, versions, atomicity.

Tasks run in process here (eager); `test_worker.py` sends them through a real worker.
"""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db import IntegrityError, transaction

from empact_tracker.celery import NIGHTLY_COMPILE
from empact_tracker.celery import app as celery_app
from oap import services as oap_services
from oap.choices import EntryStatus, UserRole
from oap.models import Organisation, PriorityCrimeArea, ResultEntry, YearLock
from reporting import access as reports
from reporting import services
from reporting.choices import FactsheetStatus, FileKind
from reporting.models import Factsheet, FactsheetFile
from reporting.tasks import compile_factsheet_task, recompile_previous_year_task
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def analyst(demo_users):
    return demo_users["europol.analyst"]


@pytest.fixture
def es_analyst(demo_data):
    """An analyst outside the hub: compiles and reads drafts, but cannot lock years."""
    return UserFactory(
        username="es.analyst", organisation=Organisation.objects.get(code="ES"), role=UserRole.ANALYST
    )


def test_who_may_compile_read_drafts_and_publish(demo_users, es_analyst):
    analyst, admin = demo_users["europol.analyst"], demo_users["admin"]
    coordinator, partner = demo_users["es.coordinator"], demo_users["co.partner"]
    assert reports.can_compile(analyst) and reports.can_publish(analyst)
    assert reports.can_compile(admin) and reports.can_publish(admin)
    assert reports.can_compile(es_analyst) and reports.can_read_drafts(es_analyst)
    assert not reports.can_publish(es_analyst)
    for user in (coordinator, partner):
        assert (
            not reports.can_compile(user)
            and not reports.can_read_drafts(user)
            and not reports.can_publish(user)
        )


def test_a_coordinator_may_not_request_a_compile(demo_users):
    with pytest.raises(PermissionDenied):
        services.factsheet_request_compile(by=demo_users["es.coordinator"], year=2023)
    assert not Factsheet.objects.exists()


def test_request_opens_a_compiling_version_with_a_task_id(analyst, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        factsheet = services.factsheet_request_compile(by=analyst, year=2023)
    assert (factsheet.version, factsheet.status, factsheet.progress) == (1, FactsheetStatus.COMPILING, 0)
    assert factsheet.task_id and factsheet.requested_by == analyst
    assert len(callbacks) == 1  # the task is sent only once the transaction commits


def test_compile_writes_figures_files_and_checksum(analyst, compile_now):
    factsheet = compile_now(by=analyst, year=2023)
    assert factsheet.status == FactsheetStatus.COMPILED and factsheet.progress == 100
    assert factsheet.figures["headline"]["arrests"] == 13871
    assert len(factsheet.checksum) == 64 and factsheet.compiled_at
    files = {f.kind: f for f in factsheet.files.all()}
    assert set(files) == set(FileKind.values)
    with files["pdf"].file.open("rb") as fh:
        assert fh.read(5) == b"%PDF-"
    with files["html"].file.open("rb") as fh:
        html = fh.read().decode()
    assert 'id="chart-by-priority"' in html and "<svg" in html
    assert all(f.checksum == factsheet.checksum and f.size > 0 for f in files.values())


def test_the_same_task_delivered_twice_gives_one_version_and_one_checksum(analyst, compile_now):
    factsheet = compile_now(by=analyst, year=2023)
    files_before = {f.kind: (f.file.name, f.sha256) for f in factsheet.files.all()}
    for _ in range(2):  # the same message delivered again (redelivery, duplicate)
        result = compile_factsheet_task.apply(args=[factsheet.pk], task_id=factsheet.task_id).get()
        assert result["checksum"] == factsheet.checksum
    again = Factsheet.objects.get(pk=factsheet.pk)
    assert Factsheet.objects.filter(year=2023).count() == 1
    assert (again.version, again.checksum, again.compiled_at) == (
        1,
        factsheet.checksum,
        factsheet.compiled_at,
    )
    assert {f.kind: (f.file.name, f.sha256) for f in again.files.all()} == files_before


def test_recompiling_an_open_version_reuses_it(analyst, compile_now):
    first = compile_now(by=analyst, year=2023)
    second = compile_now(by=analyst, year=2023)
    assert second.pk == first.pk and second.version == 1 and second.checksum == first.checksum
    assert second.status == FactsheetStatus.COMPILED


def test_a_changed_entry_gives_a_new_checksum_and_new_files(analyst, compile_now):
    first = compile_now(by=analyst, year=2023)
    old_files = [f.file.name for f in first.files.all()]
    entry = ResultEntry.objects.filter(
        year=2023, status=EntryStatus.VALIDATED, result_type__code="arrests"
    ).first()
    ResultEntry.objects.filter(pk=entry.pk).update(value=entry.value + 10)
    second = compile_now(by=analyst, year=2023)
    assert second.pk == first.pk and second.checksum != first.checksum
    assert second.figures["headline"]["arrests"] == 13881
    assert not any(default_storage.exists(name) for name in old_files)  # dropped after the commit


def test_a_failure_in_the_final_transaction_leaves_nothing_half_written(analyst, monkeypatch, compile_now):
    store = services._store

    def boom(*args, **kwargs):
        store(*args, **kwargs)  # figures and files written, not yet committed
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(services, "_store", boom)
    factsheet = compile_now(by=analyst, year=2023)
    assert factsheet.status == FactsheetStatus.FAILED
    assert "disk on fire" in factsheet.error
    assert factsheet.figures == {} and factsheet.checksum == ""
    assert not FactsheetFile.objects.filter(factsheet=factsheet).exists()

    monkeypatch.undo()
    compile_factsheet_task.apply(args=[factsheet.pk])  # the retry completes it
    factsheet.refresh_from_db()
    assert factsheet.status == FactsheetStatus.COMPILED and factsheet.files.count() == 4


def _tampered(compile_figures, key: str, breakdown: str):
    """`compile_figures`, but one row of `breakdown` gives `key` one more than the entries say."""

    def compile_tampered(**kwargs):
        compiled = compile_figures(**kwargs)
        compiled.figures[breakdown][0][key] += 1
        return compiled

    return compile_tampered


@pytest.mark.parametrize(
    ("key", "breakdown"),
    [("arrests", "by_plan"), ("drugs_seized_kg", "by_priority"), ("operational_actions", "by_plan")],
)
def test_figures_whose_headline_is_not_the_sum_of_a_breakdown_are_never_stored(
    analyst, monkeypatch, compile_now, key, breakdown
):
    monkeypatch.setattr(services, "compile_figures", _tampered(services.compile_figures, key, breakdown))
    factsheet = compile_now(by=analyst, year=2023)
    assert factsheet.status == FactsheetStatus.FAILED
    assert factsheet.error.startswith("FiguresMismatch: The headline differs from the sum of its breakdowns")
    assert f"{key}: headline " in factsheet.error and f"the sum {breakdown} is" in factsheet.error
    assert factsheet.figures == {} and factsheet.checksum == "" and not factsheet.files.exists()


def test_a_mismatch_leaves_the_version_compiled_before_as_it_was(analyst, monkeypatch, compile_now):
    good = compile_now(by=analyst, year=2023)
    entry = ResultEntry.objects.filter(year=2023, status=EntryStatus.VALIDATED).first()
    ResultEntry.objects.filter(pk=entry.pk).update(value=entry.value + 1)  # new inputs to compile
    monkeypatch.setattr(
        services, "compile_figures", _tampered(services.compile_figures, "arrests", "by_priority")
    )
    failed = compile_now(by=analyst, year=2023)
    assert failed.pk == good.pk and failed.status == FactsheetStatus.FAILED
    assert (failed.figures, failed.checksum) == (good.figures, good.checksum)
    assert {f.file.name for f in failed.files.all()} == {f.file.name for f in good.files.all()}


def test_publish_locks_the_year_and_freezes_the_version(analyst, compile_now):
    factsheet = compile_now(by=analyst, year=2023)
    published = services.factsheet_publish(by=analyst, factsheet=factsheet)
    assert published.status == FactsheetStatus.PUBLISHED and published.published_by == analyst
    assert YearLock.objects.filter(year=2023).exists()
    entry = ResultEntry.objects.filter(year=2023).first()
    with pytest.raises(ValidationError):
        oap_services.result_update(entry=entry, by=None, value=1)
    # a late delivery of its task changes nothing
    compile_factsheet_task.apply(args=[published.pk])
    assert Factsheet.objects.get(pk=published.pk).status == FactsheetStatus.PUBLISHED


def test_recompiling_a_published_year_opens_version_n_plus_1(analyst, compile_now):
    first = services.factsheet_publish(by=analyst, factsheet=compile_now(by=analyst, year=2023))
    second = compile_now(by=analyst, year=2023)
    assert second.pk != first.pk and second.version == 2 and second.status == FactsheetStatus.COMPILED
    assert second.checksum == first.checksum  # the year is locked: same data, same figures
    assert Factsheet.objects.get(pk=first.pk).status == FactsheetStatus.PUBLISHED
    assert sorted(Factsheet.objects.filter(year=2023).values_list("version", flat=True)) == [1, 2]


def test_only_the_hub_publishes(demo_users, es_analyst, compile_now):
    factsheet = compile_now(by=es_analyst, year=2023)
    for user in (es_analyst, demo_users["es.coordinator"]):
        with pytest.raises(PermissionDenied):
            services.factsheet_publish(by=user, factsheet=factsheet)
    assert not YearLock.objects.filter(year=2023).exists()


def test_publishing_stale_figures_is_refused(analyst, compile_now):
    factsheet = compile_now(by=analyst, year=2023)
    entry = ResultEntry.objects.filter(year=2023, status=EntryStatus.VALIDATED).first()
    ResultEntry.objects.filter(pk=entry.pk).update(value=entry.value + 1)
    with pytest.raises(ValidationError) as error:
        services.factsheet_publish(by=analyst, factsheet=factsheet)
    assert "checksum" in error.value.message_dict
    assert not YearLock.objects.filter(year=2023).exists()  # rolled back with the refusal


def test_only_a_compiled_version_is_published(analyst, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        factsheet = services.factsheet_request_compile(by=analyst, year=2023)
    with pytest.raises(ValidationError):
        services.factsheet_publish(by=analyst, factsheet=factsheet)


def test_one_open_version_per_year_and_scope_in_the_database(demo_data):
    Factsheet.objects.create(year=2023, version=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Factsheet.objects.create(year=2023, version=2)  # a second open EU-wide version
    with pytest.raises(IntegrityError), transaction.atomic():
        Factsheet.objects.create(year=2023, version=1, status=FactsheetStatus.PUBLISHED, checksum="x")
    drugs = PriorityCrimeArea.objects.get(cycle__code="2022-2025", code="DRUGS")
    Factsheet.objects.create(year=2023, priority=drugs, version=1)  # another scope: fine
    with pytest.raises(IntegrityError), transaction.atomic():
        Factsheet.objects.create(year=2023, priority=drugs, version=2)
    with pytest.raises(IntegrityError), transaction.atomic():
        Factsheet.objects.create(year=2023, version=3, status=FactsheetStatus.PUBLISHED)  # no checksum


def test_a_priority_factsheet(analyst, compile_now):
    drugs = PriorityCrimeArea.objects.get(cycle__code="2022-2025", code="DRUGS")
    factsheet = compile_now(by=analyst, year=2023, priority=drugs)
    assert factsheet.priority == drugs and factsheet.version == 1
    assert factsheet.figures["scope"]["code"] == "DRUGS"
    assert factsheet.files.count() == 4


def test_factsheets_visible_to(demo_users, analyst, compile_now):
    draft = compile_now(by=analyst, year=2022)
    published = services.factsheet_publish(by=analyst, factsheet=compile_now(by=analyst, year=2023))
    assert set(services.factsheets_visible_to(analyst)) == {draft, published}
    assert set(services.factsheets_visible_to(demo_users["co.partner"])) == {published}
    from django.contrib.auth.models import AnonymousUser

    assert not services.factsheets_visible_to(AnonymousUser()).exists()


def test_management_command_compiles_and_publishes(monkeypatch, demo_data):
    """Run as from a shell: outside a transaction, so the task is sent (and runs) at once."""
    from io import StringIO

    monkeypatch.setattr(transaction, "on_commit", lambda func, using=None, robust=False: func())
    out = StringIO()
    call_command("compile_factsheet", "2022", "--publish", "--timeout", "60", stdout=out)
    factsheet = Factsheet.objects.get(year=2022)
    assert factsheet.status == FactsheetStatus.PUBLISHED
    assert "Arrests: 9922" in out.getvalue()
    assert YearLock.objects.filter(year=2022).exists()


def test_nightly_recompile_of_the_previous_year(analyst, compile_now, django_capture_on_commit_callbacks):
    from reporting.services import factsheet_recompile_open

    with django_capture_on_commit_callbacks(execute=True):
        assert [f.year for f in factsheet_recompile_open(year=2023)] == [2023]  # none yet: opens one
    factsheet = Factsheet.objects.get(year=2023)
    assert factsheet.status == FactsheetStatus.COMPILED
    services.factsheet_publish(by=analyst, factsheet=factsheet)
    with django_capture_on_commit_callbacks(execute=True):
        assert factsheet_recompile_open(year=2023) == []  # all published: left alone
    assert Factsheet.objects.filter(year=2023).count() == 1


def test_the_beat_schedule_names_the_nightly_task(demo_data):
    celery_app.loader.import_default_modules()
    entry = celery_app.conf.beat_schedule[NIGHTLY_COMPILE]
    assert entry["task"] == "reporting.recompile_previous_year"
    assert recompile_previous_year_task.name == "reporting.recompile_previous_year"
