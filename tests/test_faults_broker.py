"""Redis away as the broker (issue 14.3): a compile requested meanwhile is accepted, kept, and done after.

A Redis of the test's own (tests/servers.py) is the broker of a real worker and a real beat. The
Redis is killed, a hub analyst asks the API for a compile, then Redis is started again: the
outbox row written with the request is sent by the beat and the worker compiles the factsheet.
"""

from __future__ import annotations

import time
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from empact_tracker.celery import app as celery_app
from oap.choices import EntryStatus, ParticipationRole, ResultCategory, ResultUnit, UserRole
from outbox.models import Message
from reporting.choices import FactsheetStatus
from reporting.models import Factsheet, FactsheetFile
from tests.factories import (
    ActionFactory,
    OrganisationFactory,
    ParticipationFactory,
    ResultEntryFactory,
    ResultTypeFactory,
    UserFactory,
)
from tests.servers import CeleryProcesses, RedisServer, wait_until, worker_database_url

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def validated_year(year: int = 2023) -> int:
    """Three countries' validated arrests in one action; the year's total."""
    arrests = ResultTypeFactory(code="arrests", unit=ResultUnit.COUNT, category=ResultCategory.ARRESTS)
    action = ActionFactory()
    for index in range(3):
        organisation = OrganisationFactory()
        role = ParticipationRole.LEADER if index == 0 else ParticipationRole.PARTICIPANT
        ParticipationFactory(action=action, organisation=organisation, role=role)
        ResultEntryFactory(
            action=action,
            organisation=organisation,
            result_type=arrests,
            year=year,
            value=Decimal(10 + index),
            status=EntryStatus.VALIDATED,
        )
    return 33


@pytest.fixture
def broker(on_postgres, settings, tmp_path):
    """A Redis of our own as the broker of this process, of a worker and of a beat (started by the test)."""
    redis = RedisServer(tmp_path / "redis").start()
    settings.MEDIA_ROOT = str(tmp_path / "media")
    conf = celery_app.conf
    saved = conf.broker_url, conf.task_always_eager
    conf.broker_url, conf.task_always_eager = redis.url(0), False
    processes = CeleryProcesses(
        tmp_path / "celery",
        {
            "DATABASE_URL": worker_database_url(),
            "REDIS_URL": redis.url(0),
            "MEDIA_ROOT": str(tmp_path / "media"),
            "CELERY_TASK_ALWAYS_EAGER": "0",
            "OUTBOX_DISPATCH_SECONDS": "1",
            "REPORTING_NIGHTLY_COMPILE_HOUR": "",
        },
    )
    try:
        yield redis, processes
    finally:
        processes.stop_all()
        conf.broker_url, conf.task_always_eager = saved
        redis.stop()


def test_a_compile_requested_while_redis_is_away_is_accepted_and_done_once_it_is_back(broker):
    redis, celery = broker
    arrests = validated_year(2023)
    analyst = UserFactory(organisation=OrganisationFactory(is_hub=True), role=UserRole.ANALYST)
    celery.worker("--pool", "solo", "--without-gossip", "--without-mingle")
    celery.beat()

    redis.kill()
    api = APIClient()
    api.force_authenticate(analyst)
    started = time.monotonic()
    response = api.post("/api/v1/factsheets/", {"year": 2023}, format="json")
    print(
        f"compile requested with the broker away: {response.status_code} in {time.monotonic() - started:.2f} s"
    )
    assert response.status_code == 202, response.content
    factsheet = Factsheet.objects.get(pk=response.json()["id"])
    assert factsheet.status == FactsheetStatus.COMPILING
    message = Message.objects.get(task_id=factsheet.task_id)
    # tried once, right after the commit, without a retry loop; kept for later
    assert message.task_name == "reporting.compile_factsheet" and message.args == [factsheet.pk]
    assert (message.state, message.attempts) == ("pending", 1)
    assert "Connection refused" in message.last_error

    redis.start()
    done = wait_until(
        lambda: (f := Factsheet.objects.get(pk=factsheet.pk)).status == FactsheetStatus.COMPILED and f,
        "the compile to finish after Redis came back",
        timeout=90,
        logs=celery.logs,
    )
    assert done.figures["headline"]["arrests"] == arrests
    message.refresh_from_db()
    assert message.state == "sent" and message.attempts == 2
    assert Factsheet.objects.filter(year=2023).count() == 1
    assert FactsheetFile.objects.filter(factsheet=done).count() == 4
