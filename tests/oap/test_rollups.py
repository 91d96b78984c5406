"""The rollups of the validated entries (oap/rollups.py): each trigger keeps them exact for the
writes it covers (and without it they drift), empty rows go, drafts cost nothing, the
`rebuild_rollups` command repairs and `--check` reports; on PostgreSQL, concurrent writers of
one action wait for each other instead of losing a change."""

import importlib
import threading
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction

from oap import rollups, services
from oap.choices import EntryStatus, OrganisationKind, ParticipationRole
from oap.models import (
    Participation,
    ParticipationRollup,
    ResultEntry,
    ResultRollupByAction,
    ResultRollupByOrganisation,
    ResultRollupByPlan,
)
from tests import factories as f

ROLLUPS = (ResultRollupByPlan, ResultRollupByOrganisation, ResultRollupByAction, ParticipationRollup)


def snapshot():
    return {
        model.__name__: sorted(
            model.objects.values_list(*[c.attname for c in model._meta.concrete_fields][1:])
        )
        for model in ROLLUPS
    }


@pytest.fixture
def world(db):
    es = f.OrganisationFactory(code="ES")
    de = f.OrganisationFactory(code="DE")
    co = f.OrganisationFactory(code="CO", kind=OrganisationKind.THIRD_COUNTRY)
    first, second = f.PlanFactory(code="PLAN-A"), f.PlanFactory(code="PLAN-B")
    action = f.ActionFactory(plan=first, code="PLAN-A 1.1")
    f.ParticipationFactory(action=action, organisation=es, role=ParticipationRole.LEADER)
    co_part = f.ParticipationFactory(action=action, organisation=co)
    arrests = f.ResultTypeFactory(code="arrests")
    validated = f.ResultEntryFactory(
        action=action, organisation=es, result_type=arrests, year=2023, value=5, status=EntryStatus.VALIDATED
    )
    submitted = f.ResultEntryFactory(
        action=action, organisation=co, result_type=arrests, year=2023, value=7, status=EntryStatus.SUBMITTED
    )
    assert rollups.rollup_drift() == []
    return {
        "action": action,
        "second_plan": second,
        "arrests": arrests,
        "es": es,
        "de": de,
        "co": co,
        "co_part": co_part,
        "validated": validated,
        "submitted": submitted,
    }


def truncate(table):
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no foreign key check pending on the table
        cursor.execute(f"TRUNCATE {table}")


WRITES = {  # the trigger: a write only it follows
    "oap_rollups_inserted": lambda w: ResultEntry.objects.create(
        action=w["action"],
        organisation=w["de"],
        result_type=w["arrests"],
        year=2022,
        value=3,
        status="validated",
    ),
    "oap_rollups_updated": lambda w: services.result_validate(entry=w["submitted"], by=None),
    "oap_rollups_deleted": lambda w: w["validated"].delete(),
    "oap_rollups_truncated": lambda w: truncate(ResultEntry._meta.db_table),
    "oap_rollups_action_moved": lambda w: services.action_update(
        action=w["action"], by=None, plan=w["second_plan"]
    ),
    "oap_rollups_participation_inserted": lambda w: f.ParticipationFactory(
        action=w["action"], organisation=w["de"]
    ),
    "oap_rollups_participation_updated": lambda w: Participation.objects.filter(pk=w["co_part"].pk).update(
        role=ParticipationRole.CO_LEADER
    ),
    "oap_rollups_participation_deleted": lambda w: w["co_part"].delete(),
    "oap_rollups_participation_truncated": lambda w: truncate("oap_participation"),
}


def test_the_migration_installed_every_trigger(db):
    assert rollups.installed_triggers(connection) == rollups.expected_triggers(connection)
    assert set(WRITES) == set(rollups.TRIGGERS)


@pytest.mark.parametrize("name", sorted(WRITES))
@pytest.mark.parametrize("present", [True, False], ids=["with", "without"])
def test_each_trigger_keeps_the_rollups_exact_and_without_it_they_drift(world, name, present):
    if name not in rollups.expected_triggers(connection):
        pytest.skip(f"{name} exists on PostgreSQL only")
    if not present:
        table = rollups.TRIGGERS[name][0]
        with connection.cursor() as cursor:
            cursor.execute(
                f"DROP TRIGGER {name}" + (f" ON {table}" if connection.vendor == "postgresql" else "")
            )
    WRITES[name](world)
    drift = rollups.rollup_drift()
    assert (drift == []) is present, drift
    if not present:
        with pytest.raises(CommandError) as error:
            call_command("rebuild_rollups", "--check")
        assert error.value.returncode == 1


def test_a_validated_entry_counts_everywhere_and_its_rows_go_when_it_goes(world):
    (plan_row,) = ResultRollupByPlan.objects.all()
    assert (plan_row.year, plan_row.plan_id, plan_row.entries, plan_row.total) == (
        2023,
        world["action"].plan_id,
        1,
        Decimal("5.000"),
    )
    assert plan_row.id_sum == world["validated"].pk
    assert ResultRollupByAction.objects.get().entries == 1
    assert set(ParticipationRollup.objects.values_list("organisation__code", "role", "actions")) == {
        ("ES", "leader", 1),
        ("CO", "participant", 1),
    }
    services.result_return(entry=world["validated"], by=None, reason="Check it.")
    assert snapshot() == {model.__name__: [] for model in ROLLUPS}  # no row left at zero


def test_drafts_and_their_edits_leave_the_rollups_alone(world):
    before = snapshot()
    entries = [
        ResultEntry(
            action=world["action"], organisation=world["de"], result_type=world["arrests"], year=year, value=1
        )
        for year in range(2010, 2040)
    ]
    ResultEntry.objects.bulk_create(entries)
    ResultEntry.objects.filter(status=EntryStatus.DRAFT).update(value=2, comment="x")
    ResultEntry.objects.filter(status=EntryStatus.DRAFT).delete()
    assert snapshot() == before


def test_a_second_entry_of_the_year_does_not_count_the_action_twice(world):
    services.result_validate(entry=world["submitted"], by=None)
    assert ResultRollupByAction.objects.get().entries == 2
    assert set(ParticipationRollup.objects.values_list("organisation__code", "actions")) == {
        ("ES", 1),
        ("CO", 1),
    }
    assert rollups.rollup_drift() == []


def test_rebuild_repairs_what_check_reports(world, capsys):
    ResultRollupByPlan.objects.update(entries=41)
    ParticipationRollup.objects.filter(organisation=world["co"]).delete()
    with pytest.raises(CommandError) as error:
        call_command("rebuild_rollups", "--check")
    assert error.value.returncode == 1
    out = capsys.readouterr().out
    assert "oap_rollup_plan" in out and "expected (1," in out and "stored (41," in out
    assert "oap_rollup_participation" in out
    call_command("rebuild_rollups")
    assert "rollups rebuilt" in capsys.readouterr().out
    call_command("rebuild_rollups", "--check")
    assert "rollups match the entries" in capsys.readouterr().out


def test_a_missing_trigger_is_reported_by_the_check(world, capsys):
    with connection.cursor() as cursor:
        on = " ON oap_operationalaction" if connection.vendor == "postgresql" else ""
        cursor.execute(f"DROP TRIGGER oap_rollups_action_moved{on}")
    with pytest.raises(CommandError):
        call_command("rebuild_rollups", "--check")
    assert "missing rollup triggers: oap_rollups_action_moved" in capsys.readouterr().err


# --- PostgreSQL: concurrent writers of one action ---------------------------------------------


def concurrently(first, second):
    """Run `first` in a transaction that stays open until `second` (in another transaction and
    connection) has started and had time to block; then commit both."""
    started, errors = threading.Event(), []

    def run(work, signal=None, wait=None):
        try:
            if wait is not None:
                wait.wait(10)
            with transaction.atomic():
                work()
                if signal is not None:
                    signal.set()
                    threading.Event().wait(0.5)  # the other writer now waits for this one
        except Exception as error:  # reported by the test
            errors.append(error)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=run, args=(first, started)),
        threading.Thread(target=run, args=(second, None, started)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not errors, errors


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("order", ["validation first", "change first"])
@pytest.mark.parametrize("change", ["move to another plan", "new participant"])
def test_a_validation_and_a_change_of_its_action_at_the_same_time(world, on_postgres, order, change):
    """The validation's trigger reads the action's plan and participation; the move's and the
    participation's triggers read the action's validated entries: whichever commits second
    sees what the first wrote, because they lock the action row before reading."""

    def validate():
        services.result_validate(entry=world["submitted"], by=None)
        ResultEntry.objects.create(
            action=world["action"],
            organisation=world["es"],
            result_type=world["arrests"],
            year=2022,
            value=4,
            status=EntryStatus.VALIDATED,
        )

    def change_action():
        if change == "move to another plan":
            services.action_update(action=world["action"], by=None, plan=world["second_plan"])
        else:
            f.ParticipationFactory(action=world["action"], organisation=world["de"])

    if order == "validation first":
        concurrently(validate, change_action)
    else:
        concurrently(change_action, validate)
    assert rollups.rollup_drift() == []
    assert ResultRollupByAction.objects.filter(action=world["action"]).count() == 2


def test_the_migration_holds_the_sql_the_code_generates():
    """Migration 0005 keeps its SQL written out; a change to oap/rollups.py needs a new migration."""
    migration = importlib.import_module("oap.migrations.0005_result_rollups")
    for vendor in ("postgresql", "sqlite"):
        assert migration.SQL[vendor] == rollups.migration_sql(vendor), vendor
