"""A real Celery worker on Redis (not eager): the queue, the files, redelivery after SIGKILL.

Runs only with REDIS_URL and a PostgreSQL DATABASE_URL: the worker is a separate process
(`celery -A empact_tracker worker --pool solo`), pointed at the pytest test database, so the
tests are transactional (the worker sees committed rows) and every wait has a timeout. The
solo pool runs the task in the worker process itself, so SIGKILL hits the very process in the
middle of the compile. Small broker settings (visibility timeout 3 s, restore sweep every
second) let the second worker pick up the message the killed one never acknowledged.
"""

import io
import os
import signal
import subprocess
import sys
import time
import uuid
from decimal import Decimal
from types import SimpleNamespace
from urllib.parse import quote

import pytest
from django.conf import settings as django_settings
from django.db import connection
from openpyxl import load_workbook

from empact_tracker.celery import app as celery_app
from oap.choices import EntryStatus, ParticipationRole, ResultCategory, ResultUnit
from reporting.choices import FactsheetStatus
from reporting.models import Factsheet, FactsheetFile
from reporting.services import PROGRESS_RENDERED, factsheet_request_compile
from reporting.tasks import compile_factsheet_task
from tests.factories import (
    ActionFactory,
    OrganisationFactory,
    ParticipationFactory,
    ResultEntryFactory,
    ResultTypeFactory,
)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not os.environ.get("REDIS_URL"),
        reason="needs REDIS_URL (and a PostgreSQL DATABASE_URL): a real Celery worker on Redis",
    ),
    pytest.mark.django_db(transaction=True),
]

WAIT = 90  # seconds at most for any one thing to happen (never asserted on: only a bound)


def wait_for(predicate, what: str, logs, timeout: float = WAIT):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    pytest.fail(f"timed out waiting for {what}\n--- worker logs ---\n{logs()}")


@pytest.fixture
def celery_worker_env(settings, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (DATABASE_URL): the worker process must reach the pytest test database")
    media = tmp_path / "media"
    settings.MEDIA_ROOT = str(media)
    db = connection.settings_dict
    auth = quote(db["USER"] or "")
    if db.get("PASSWORD"):
        auth += ":" + quote(db["PASSWORD"])
    database_url = f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "MEDIA_ROOT": str(media),
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "CELERY_VISIBILITY_TIMEOUT": "3",
        "CELERY_RESTORE_INTERVAL": "1",
        "CELERY_RESTORE_THROTTLE": "1",
        "PYTHONUNBUFFERED": "1",
    }
    conf = celery_app.conf
    saved = conf.task_always_eager
    conf.task_always_eager = False
    celery_app.control.purge()  # nothing left over from an earlier run
    workers = []

    def start(*, pause: float | None = None, **environment: str) -> subprocess.Popen:
        """A worker; with `pause`, one whose compiles sleep that long inside their final
        transaction (`tests/reporting/paused_worker.py`); `environment` adds to its variables."""
        path = tmp_path / f"worker-{len(workers)}.log"
        log = open(path, "wb")  # noqa: SIM115 - closed in the teardown
        entry = ["celery"] if pause is None else ["tests.reporting.paused_worker", str(pause)]
        command = [
            sys.executable,
            "-m",
            *entry,
            "-A",
            "empact_tracker",
            "worker",
            "--pool",
            "solo",
            "--loglevel",
            "INFO",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "--hostname",
            f"reporting-test-{uuid.uuid4().hex[:8]}@%h",
        ]
        process = subprocess.Popen(
            command,
            cwd=django_settings.BASE_DIR,
            env={**env, **environment},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        workers.append((process, log, path))
        return process

    def logs() -> str:
        return "\n".join(f"[{p}]\n{p.read_text(errors='replace')[-4000:]}" for _, _, p in workers)

    yield SimpleNamespace(start=start, logs=logs)

    for process, log, _ in workers:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        log.close()
    conf.task_always_eager = saved
    celery_app.control.purge()


@pytest.fixture
def data(db):
    """A small year of validated results (2022 and 2023) in one action of one plan."""
    arrests = ResultTypeFactory(code="arrests", unit=ResultUnit.COUNT, category=ResultCategory.ARRESTS)
    cocaine = ResultTypeFactory(code="cocaine_kg", unit=ResultUnit.KG, category=ResultCategory.DRUGS)
    action = ActionFactory()
    countries = [OrganisationFactory() for _ in range(3)]
    for index, org in enumerate(countries):
        ParticipationFactory(
            action=action,
            organisation=org,
            role=ParticipationRole.LEADER if index == 0 else ParticipationRole.PARTICIPANT,
        )
        for year, value in ((2022, 10), (2023, 14)):
            for result_type in (arrests, cocaine):
                ResultEntryFactory(
                    action=action,
                    organisation=org,
                    result_type=result_type,
                    year=year,
                    value=Decimal(value),
                    status=EntryStatus.VALIDATED,
                )
    return SimpleNamespace(arrests_2023=42, arrests_2022=30)


def status_of(pk) -> Factsheet:
    return Factsheet.objects.get(pk=pk)


def open_files(factsheet: Factsheet) -> dict[str, bytes]:
    result = {}
    for row in FactsheetFile.objects.filter(factsheet=factsheet):
        with row.file.open("rb") as fh:
            result[row.kind] = fh.read()
    return result


def test_a_compile_goes_through_a_real_worker_and_its_files_open(celery_worker_env, data):
    celery_worker_env.start()
    factsheet = factsheet_request_compile(by=None, year=2023)  # sent to Redis on commit
    assert factsheet.task_id and factsheet.status == FactsheetStatus.COMPILING
    compiled = wait_for(
        lambda: (f := status_of(factsheet.pk)).status == FactsheetStatus.COMPILED and f,
        "the compile to finish",
        celery_worker_env.logs,
    )
    assert compiled.progress == 100
    assert compiled.figures["headline"]["arrests"] == data.arrests_2023
    assert compiled.figures["change_vs_previous"]["arrests"] == 0.4
    files = open_files(compiled)
    assert files["pdf"].startswith(b"%PDF")
    book = load_workbook(io.BytesIO(files["xlsx"]))
    assert book["Headline"]["C2"].value == data.arrests_2023
    html = files["html"].decode()
    assert 'id="chart-by-priority"' in html and "<svg" in html
    assert files["csv"].decode("utf-8-sig").startswith("section,code,name,metric,value")

    # the same task delivered twice more: still one version, one checksum, the same files
    results = [compile_factsheet_task.apply_async(args=[factsheet.pk]) for _ in range(2)]
    for result in results:
        assert result.get(timeout=WAIT)["checksum"] == compiled.checksum
    again = status_of(factsheet.pk)
    assert Factsheet.objects.filter(year=2023).count() == 1
    assert (again.version, again.checksum, again.compiled_at) == (1, compiled.checksum, compiled.compiled_at)
    assert FactsheetFile.objects.filter(factsheet=again).count() == 4


def _open_transactions() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND state LIKE 'idle in transaction%%' AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


def test_a_worker_killed_mid_compile_leaves_nothing_half_written_and_the_task_is_redelivered(
    celery_worker_env, data
):
    # worker A pauses inside the compile's final transaction (figures and files written, not committed)
    worker_a = celery_worker_env.start(pause=300)
    factsheet = factsheet_request_compile(by=None, year=2023)
    wait_for(
        lambda: (
            status_of(factsheet.pk).progress >= PROGRESS_RENDERED
            and "written, not committed" in celery_worker_env.logs()
            and _open_transactions() > 0
        ),
        "worker A to hold the compile's transaction open, its figures and files written",
        celery_worker_env.logs,
    )
    os.kill(worker_a.pid, signal.SIGKILL)
    assert worker_a.wait(timeout=30) == -signal.SIGKILL
    wait_for(
        lambda: _open_transactions() == 0,
        "PostgreSQL to roll back the killed worker's transaction",
        celery_worker_env.logs,
    )

    half = status_of(factsheet.pk)
    assert half.status == FactsheetStatus.COMPILING  # not compiled
    assert half.figures == {} and half.checksum == "" and half.compiled_at is None
    assert not FactsheetFile.objects.filter(factsheet=half).exists()

    # worker B gets the message A never acknowledged (acks_late) and completes the compile
    celery_worker_env.start()
    done = wait_for(
        lambda: (f := status_of(factsheet.pk)).status == FactsheetStatus.COMPILED and f,
        "the redelivered task to complete the compile",
        celery_worker_env.logs,
    )
    assert done.figures["headline"]["arrests"] == data.arrests_2023
    assert Factsheet.objects.filter(year=2023).count() == 1 and done.version == 1
    files = open_files(done)
    assert set(files) == {"html", "pdf", "csv", "xlsx"} and files["pdf"].startswith(b"%PDF")
