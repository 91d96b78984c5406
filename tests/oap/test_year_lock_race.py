"""A write to a year and the lock of that year never both succeed, in either order (issue 14.2).

Two real PostgreSQL sessions (threads), interleaved deterministically: the test holds one of
them at a chosen point (a barrier patched into the service, not a sleep in production code) and
waits until the database itself shows the other one blocked on the lock it needs.
"""

import threading
from decimal import Decimal

import pytest
from django.db import connection, connections

from oap import services
from oap.choices import EntryStatus, OrganisationKind, ParticipationRole, UserRole
from oap.models import ResultEntry, YearLock
from oap.services import base
from tests import factories as f

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True), pytest.mark.postgres]


@pytest.fixture
def race(on_postgres):
    hub = f.OrganisationFactory(code="EUROPOL", kind=OrganisationKind.EU_AGENCY, is_hub=True)
    es, de = f.OrganisationFactory(code="ES"), f.OrganisationFactory(code="DE")
    action = f.ActionFactory(code="DRUGS-CCH 1.1", plan=f.PlanFactory(driver=de))
    f.ParticipationFactory(action=action, organisation=es, role=ParticipationRole.LEADER)
    f.ParticipationFactory(action=action, organisation=de)
    entry = f.ResultEntryFactory(
        action=action, organisation=de, year=2023, status=EntryStatus.SUBMITTED, value=Decimal(7)
    )
    return {
        "entry": entry,
        "leader": f.UserFactory(username="es", organisation=es),
        "hub": f.UserFactory(username="hub", organisation=hub, role=UserRole.ANALYST),
    }


def in_thread(work):
    """Run `work` in a thread with its own database connection; its outcome in a dict."""
    outcome = {}

    def run():
        try:
            outcome["value"] = work()
        except Exception as error:  # the refusal is the outcome under test
            outcome["error"] = error
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


def held_at_save(monkeypatch, model):
    """Patch the services' save so a save of `model` waits at a gate the test opens."""
    reached, gate = threading.Event(), threading.Event()
    real_save = base.save

    def save(instance, by, **kwargs):
        if isinstance(instance, model):
            reached.set()
            assert gate.wait(30), "the test never opened the gate"
        return real_save(instance, by, **kwargs)

    for module in (base, services.results, services.years):
        monkeypatch.setattr(module, "save", save)
    return reached, gate


def waits_on_a_lock(timeout=30.0) -> bool:
    """Whether another session of this database waits on a lock (polled, not slept blindly)."""
    import time

    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
            )
            if cursor.fetchone()[0]:
                return True
            time.sleep(0.02)
    return False


def test_a_lock_waits_for_the_validation_in_flight(race, monkeypatch):
    """The validation checked the year first; the lock must not commit before it, or the
    published year would hold a figure validated after its publication."""
    reached, gate = held_at_save(monkeypatch, ResultEntry)
    validation, validated = in_thread(
        lambda: services.result_validate(entry=race["entry"], by=race["leader"])
    )
    assert reached.wait(30)  # the validation passed every check and is about to write
    locking, locked = in_thread(lambda: services.year_lock(year=2023, by=race["hub"]))
    assert waits_on_a_lock(), "locking the year did not wait for the validation in flight"
    assert not YearLock.objects.filter(year=2023).exists()
    gate.set()
    validation.join(30)
    locking.join(30)
    assert "error" not in validated and "error" not in locked, (validated, locked)
    lock = YearLock.objects.get(year=2023)
    entry = ResultEntry.objects.get(pk=race["entry"].pk)
    assert entry.status == EntryStatus.VALIDATED and entry.updated_at <= lock.locked_at


def test_a_validation_waits_for_the_lock_in_flight_and_is_refused(race, monkeypatch):
    """The lock is about to commit; a validation starting now waits, then sees the lock: 409."""
    reached, gate = held_at_save(monkeypatch, YearLock)
    locking, locked = in_thread(lambda: services.year_lock(year=2023, by=race["hub"]))
    assert reached.wait(10), locked  # the lock is checked and about to be written
    validation, validated = in_thread(
        lambda: services.result_validate(entry=race["entry"], by=race["leader"])
    )
    assert waits_on_a_lock(), "the validation did not wait for the lock in flight"
    gate.set()
    locking.join(30)
    validation.join(30)
    assert "error" not in locked
    assert isinstance(validated.get("error"), services.Conflict), validated
    assert "Year 2023 is locked" in " ".join(validated["error"].messages)
    assert ResultEntry.objects.get(pk=race["entry"].pk).status == EntryStatus.SUBMITTED
