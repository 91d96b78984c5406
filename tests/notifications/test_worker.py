"""A real worker killed in the middle of sending an e-mail: the e-mail arrives, once.

On PostgreSQL, with a Redis and an SMTP server of the test's own. The validation of a figure is
committed here; its event goes through the outbox to Redis; worker A records it, makes the
reporting organisation's coordinator's e-mail and starts sending it. The SMTP server holds the
conversation at RCPT TO — a slow server, no hook in production code — and the test SIGKILLs worker
A there: the e-mail's row says `sending`, the server has no message. Worker B (with the beat,
sweeping every second) takes the row over once A's claim is stale and sends it; the redelivered
task and every later sweep find nothing left to do. Short timeouts stand for the deployment's.
"""

from __future__ import annotations

import os
import signal
from decimal import Decimal

import pytest

from empact_tracker.celery import app as celery_app
from notifications.choices import DeliveryStatus
from notifications.models import Email
from oap import services
from oap.choices import EntryStatus
from oap.models import OperationalAction, ResultType
from tests import factories as f
from tests.servers import CeleryProcesses, RedisServer, wait_until, worker_database_url

from .conftest import user
from .receivers import SMTPServer

# serialized_rollback: the role groups (data of the migrations) are there, and are back for later tests
pytestmark = [
    pytest.mark.slow,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

WORKER = ["--pool", "solo", "--without-gossip", "--without-mingle", "--without-heartbeat"]


@pytest.fixture
def stack(on_postgres, tmp_path):
    redis = RedisServer(tmp_path / "redis").start()
    smtp = SMTPServer(stall_first=True).start()
    conf = celery_app.conf
    saved = conf.broker_url, conf.task_always_eager
    conf.broker_url, conf.task_always_eager = redis.url(0), False
    env = {
        "DATABASE_URL": worker_database_url(),
        "REDIS_URL": redis.url(0),
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "EMAIL_URL": f"smtp://127.0.0.1:{smtp.port}",
        "NOTIFICATIONS_BATCH_SECONDS": "0",
        "CELERY_VISIBILITY_TIMEOUT": "3",
        "CELERY_RESTORE_INTERVAL": "1",
        "CELERY_RESTORE_THROTTLE": "1",
        "REPORTING_NIGHTLY_COMPILE_HOUR": "",
    }
    # A waits for the server as long as a real deployment would; B's claims go stale quickly
    worker_a = CeleryProcesses(tmp_path / "a", {**env, "EMAIL_TIMEOUT": "120"})
    worker_b = CeleryProcesses(
        tmp_path / "b",
        {**env, "EMAIL_TIMEOUT": "2", "NOTIFICATIONS_CLAIM_SECONDS": "3", "NOTIFICATIONS_SWEEP_SECONDS": "1"},
    )
    try:
        yield smtp, worker_a, worker_b
    finally:
        worker_a.stop_all()
        worker_b.stop_all()
        conf.broker_url, conf.task_always_eager = saved
        smtp.stop()
        redis.stop()


def full_log(celery: CeleryProcesses) -> str:
    return "".join(path.read_text(errors="replace") for _, _, path in celery.processes)


def test_a_worker_killed_mid_delivery_leads_to_one_email(people, stack):
    smtp, worker_a, worker_b = stack
    entry = f.ResultEntryFactory(
        action=OperationalAction.objects.get(code="OA-eu"),
        organisation=user("tcin").organisation,
        result_type=ResultType.objects.get(code="arrests"),
        year=2024,
        value=Decimal(3),
        status=EntryStatus.SUBMITTED,
    )
    logs = lambda: worker_a.logs() + worker_b.logs()  # noqa: E731
    process_a = worker_a.worker(*WORKER, name="a")
    services.result_validate(entry=entry, by=user("hub"))  # committed: the event goes to Redis

    wait_until(smtp.stalled.is_set, "worker A to be in the middle of the SMTP conversation", 90, logs)
    email = Email.objects.get(user__username="tcin")
    assert email.status == DeliveryStatus.SENDING and email.attempts == 1
    os.kill(process_a.pid, signal.SIGKILL)
    assert process_a.wait(timeout=30) == -signal.SIGKILL
    smtp.release.set()
    assert smtp.messages == []  # the server never accepted anything from A

    worker_b.worker(*WORKER, "--beat", "--schedule", str(worker_b.directory / "beat-schedule"), name="b")
    wait_until(
        lambda: Email.objects.get(pk=email.pk).status == DeliveryStatus.SENT, "worker B to send it", 90, logs
    )
    sweeps = lambda: full_log(worker_b).count("Task notifications.deliver_due")  # noqa: E731
    seen = sweeps()
    wait_until(lambda: sweeps() >= seen + 6, "three more sweeps after the e-mail went", 90, logs)
    wait_until(
        lambda: "Task notifications.send_email" in full_log(worker_b), "the redelivered send task", 90, logs
    )
    assert [m.rcpt_tos for m in smtp.messages] == [["tcin@example.org"]]  # once
    email.refresh_from_db()
    assert (email.status, email.attempts) == (DeliveryStatus.SENT, 2)
    assert "validated" in smtp.messages[0]["Subject"]
