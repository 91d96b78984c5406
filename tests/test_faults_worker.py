"""Workers under supervision (issue 14.5): Redis lost mid-task, a worker killed mid-task; done once.

The worker runs with the options docker-compose.yml gives it (prefork, one process, without
gossip and mingle; docs/deploy.md's systemd unit is the same) under a supervisor thread playing systemd's
`Restart=always` (tests/servers.py), on a Redis of the test's own with an fsync'ed append-only
file. The test holds the factsheet's row lock, so the compile is stopped mid-task exactly where
the test wants it, with no hook in production code; releasing the lock lets it finish. A short
visibility timeout (5 s) stands for the deployment's 20 minutes.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

import psycopg
import pytest

from empact_tracker.celery import app as celery_app
from reporting.choices import FactsheetStatus
from reporting.models import Factsheet, FactsheetFile
from reporting.services import factsheet_request_compile
from tests.servers import CeleryProcesses, RedisServer, wait_until, worker_database_url
from tests.test_faults_broker import validated_year

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def shipped_worker_options() -> list[str]:
    """The options docker-compose.yml gives `celery worker` (its defaults filled in)."""
    import yaml

    from tests.test_compose import REQUIRED_VALUES, ROOT, resolve

    compose = resolve(yaml.safe_load((ROOT / "docker-compose.yml").read_text()), REQUIRED_VALUES, set())
    command = compose["services"]["worker"]["command"]
    options = command[command.index("worker") + 1 :]
    return [option for option in options if not option.startswith("--loglevel")]


WORKER = shipped_worker_options()


@pytest.fixture
def stack(on_postgres, settings, tmp_path):
    redis = RedisServer(tmp_path / "redis").start()
    media = tmp_path / "media"
    settings.MEDIA_ROOT = str(media)
    conf = celery_app.conf
    saved = conf.broker_url, conf.task_always_eager
    conf.broker_url, conf.task_always_eager = redis.url(0), False
    celery = CeleryProcesses(
        tmp_path / "celery",
        {
            "DATABASE_URL": worker_database_url(),
            "REDIS_URL": redis.url(0),
            "MEDIA_ROOT": str(media),
            "CELERY_TASK_ALWAYS_EAGER": "0",
            "CELERY_VISIBILITY_TIMEOUT": "5",
            "CELERY_RESTORE_INTERVAL": "1",
            "CELERY_RESTORE_THROTTLE": "1",
            "REPORTING_NIGHTLY_COMPILE_HOUR": "",
        },
    )
    try:
        yield redis, celery, media
    finally:
        celery.stop_all()
        conf.broker_url, conf.task_always_eager = saved
        redis.stop()


class RowLock:
    """`SELECT ... FOR UPDATE` on a factsheet from a connection of its own, until released."""

    def __init__(self, factsheet_id: int):
        self.connection = psycopg.connect(worker_database_url().replace("postgres://", "postgresql://"))
        self.connection.execute("SELECT 1 FROM reporting_factsheet WHERE id = %s FOR UPDATE", [factsheet_id])

    def waiters(self) -> int:
        with psycopg.connect(
            worker_database_url().replace("postgres://", "postgresql://"), autocommit=True
        ) as c:
            return c.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
            ).fetchone()[0]

    def release(self) -> None:
        self.connection.rollback()
        self.connection.close()


def files_on_disk(media: Path) -> list[str]:
    return sorted(str(path.relative_to(media)) for path in media.rglob("*") if path.is_file())


def settled(redis: RedisServer) -> bool:
    """Nothing queued and nothing taken but unacknowledged."""
    return redis.cli("llen", "celery") == "0" and redis.cli("hlen", "unacked") == "0"


def compiled(pk, celery):
    return wait_until(
        lambda: (f := Factsheet.objects.get(pk=pk)).status == FactsheetStatus.COMPILED and f,
        "the compile to finish",
        timeout=60,
        logs=celery.logs,
    )


def assert_done_once(factsheet: Factsheet, media: Path) -> None:
    assert Factsheet.objects.filter(year=factsheet.year).count() == 1 and factsheet.version == 1
    rows = FactsheetFile.objects.filter(factsheet=factsheet)
    assert rows.count() == 4
    assert files_on_disk(media) == sorted(row.file.name for row in rows)


def test_a_worker_that_loses_redis_mid_task_comes_back_and_the_task_completes_once(stack):
    redis, celery, media = stack
    validated_year(2023)
    factsheet = factsheet_request_compile(by=None, year=2023)  # queued in Redis; no worker yet
    lock = RowLock(factsheet.pk)
    supervisor = celery.supervise(lambda: celery.worker(*WORKER))
    try:
        wait_until(
            lambda: lock.waiters() > 0, "the worker to be stuck on the row, mid-task", logs=celery.logs
        )
        redis.kill()
        wait_until(
            lambda: "Connection to broker lost" in celery.logs(), "the worker to notice", logs=celery.logs
        )
        redis.start()
        wait_until(
            lambda: "Connected to redis" in celery.logs().split("Connection to broker lost")[-1],
            "the reconnect",
            logs=celery.logs,
        )
    finally:
        lock.release()

    done = compiled(factsheet.pk, celery)
    wait_until(lambda: settled(redis), "the message to be acknowledged", logs=celery.logs)
    assert_done_once(done, media)
    print(f"worker restarts: {supervisor.restarts} (exit codes {supervisor.exit_codes})")
    logs = celery.logs(tail=10**6)
    assert "Unrecoverable error" not in logs and "AttributeError" not in logs, logs
    assert supervisor.process.poll() is None  # a worker is running at the end


def test_a_worker_killed_mid_task_is_restarted_and_the_task_completes_once(stack):
    redis, celery, media = stack
    validated_year(2023)
    factsheet = factsheet_request_compile(by=None, year=2023)
    lock = RowLock(factsheet.pk)
    supervisor = celery.supervise(lambda: celery.worker(*WORKER))
    try:
        wait_until(
            lambda: lock.waiters() > 0, "the worker to be stuck on the row, mid-task", logs=celery.logs
        )
        first = supervisor.process
        os.kill(first.pid, signal.SIGKILL)  # the main process: the OOM killer, a lost host
        wait_until(lambda: supervisor.restarts == 1, "the supervisor to start a new worker", logs=celery.logs)
    finally:
        lock.release()

    # the message taken by the dead worker is handed out again after the visibility timeout
    done = compiled(factsheet.pk, celery)
    wait_until(lambda: settled(redis), "the message to be acknowledged", logs=celery.logs)
    assert_done_once(done, media)
    assert supervisor.exit_codes == [-signal.SIGKILL]
    assert supervisor.process.poll() is None
