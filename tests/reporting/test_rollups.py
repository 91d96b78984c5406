"""The compile reads the rollups: its figures and checksum equal the reference computed from the
entries (`tests/reporting/reference.py`), on the demo data and after a long random sequence of
writes through every write path — which a missing trigger would make drift.
"""

import random
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone

from oap import services
from oap.choices import EntryStatus, ParticipationRole
from oap.models import (
    OperationalAction,
    OperationalActionPlan,
    Organisation,
    Participation,
    PriorityCrimeArea,
    ResultEntry,
    ResultType,
)
from oap.rollups import rollup_drift
from reporting.compile import FIGURES_FORMAT, compile_figures
from tests.reporting.reference import reference_compile

pytestmark = pytest.mark.django_db

YEARS = (2022, 2023)


def drugs():
    return PriorityCrimeArea.objects.get(cycle__code="2022-2025", code="DRUGS")


def assert_compile_matches_the_entries(priorities=()):
    for year in YEARS:
        for priority in (None, *priorities):
            compiled = compile_figures(year=year, priority=priority)
            expected = reference_compile(year=year, priority=priority)
            assert compiled.figures == expected.figures, (year, priority)
            assert compiled.checksum == expected.checksum, (year, priority)
    assert rollup_drift() == []
    call_command("rebuild_rollups", "--check")  # raises CommandError (exit status 1) on drift


def test_the_demo_figures_come_from_the_rollups_exactly(demo_data):
    assert_compile_matches_the_entries(priorities=PriorityCrimeArea.objects.all())
    assert compile_figures(year=2023).figures["format"] == FIGURES_FORMAT == 2


class Writer:
    """Random writes through the services (and the ORM and SQL paths the services do not cover)."""

    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        self.types = list(ResultType.objects.order_by("pk"))
        self.plans = list(OperationalActionPlan.objects.filter(start_year=2022).order_by("pk"))
        self.countries = list(
            Organisation.objects.filter(kind__in=["member_state", "third_country"]).order_by("pk")
        )
        self.done: dict[str, int] = {}

    def entries(self, *statuses, limit=40):
        return list(ResultEntry.objects.filter(status__in=statuses, year__in=YEARS).order_by("?")[:limit])

    def pick(self, *statuses):
        entries = self.entries(*statuses, limit=1)
        return entries[0] if entries else None

    def participation(self):
        return Participation.objects.select_related("action", "organisation").order_by("?").first()

    def value(self):
        return Decimal(self.rng.randint(0, 5000)) / (1 if self.rng.random() < 0.7 else 1000)

    # --- the operations -------------------------------------------------------------------------

    def record(self):
        part = self.participation()
        try:
            services.result_record(
                by=None,
                action=part.action,
                organisation=part.organisation,
                result_type=self.rng.choice(self.types),
                year=self.rng.choice(YEARS),
                half_year=self.rng.choice([None, None, 1, 2]),
                value=self.value(),
            )
        except ValidationError:  # already reported: the service refuses
            return False

    def submit(self):
        entry = self.pick(EntryStatus.DRAFT, EntryStatus.RETURNED)
        return entry and services.result_submit(entry=entry, by=None)

    def validate(self):
        entry = self.pick(EntryStatus.SUBMITTED)
        return entry and services.result_validate(entry=entry, by=None)

    def send_back(self):
        entry = self.pick(EntryStatus.SUBMITTED, EntryStatus.VALIDATED)
        return entry and services.result_return(entry=entry, by=None, reason="Check the figure.")

    def edit_open(self):
        entry = self.pick(EntryStatus.DRAFT, EntryStatus.RETURNED)
        return entry and services.result_update(entry=entry, by=None, value=self.value())

    def superuser_edit_validated(self):  # an ORM save of a validated entry (value, updated_at)
        entry = self.pick(EntryStatus.VALIDATED)
        if entry:
            entry.value = self.value()
            entry.save()

    def resave_validated(self):  # only updated_at changes
        entry = self.pick(EntryStatus.VALIDATED)
        if entry:
            entry.save()

    def delete_open(self):
        entry = self.pick(EntryStatus.DRAFT, EntryStatus.RETURNED)
        return entry and services.result_delete(entry=entry, by=None)

    def delete_validated(self):
        entry = self.pick(EntryStatus.VALIDATED)
        if entry:
            entry.delete()

    def bulk_record_and_validate(self):
        """Many drafts at once (COPY on PostgreSQL), then submitted and validated with
        queryset.update() — and a few through the services."""
        rows, seen = [], set()
        for _ in range(self.rng.randint(5, 30)):
            part = self.participation()
            row = {
                "action": part.action.code,
                "organisation": part.organisation.code,
                "result_type": self.rng.choice(self.types).code,
                "year": self.rng.choice(YEARS),
                "half_year": self.rng.choice([None, 1, 2]),
                "value": str(self.value()),
            }
            key = tuple(row[name] for name in ("action", "organisation", "result_type", "year", "half_year"))
            if key not in seen:
                seen.add(key)
                rows.append(row)
        try:
            created = services.results_record_bulk(by=None, rows=rows)
        except ValidationError:  # some period already reported
            return False
        ids = [item.pk for item in created]
        ResultEntry.objects.filter(pk__in=ids).update(
            status=EntryStatus.SUBMITTED, submitted_at=timezone.now()
        )
        some = self.rng.sample(ids, len(ids) // 4)
        for entry in ResultEntry.objects.filter(pk__in=some):
            services.result_validate(entry=entry, by=None)
        ResultEntry.objects.filter(pk__in=ids, status=EntryStatus.SUBMITTED).update(
            status=EntryStatus.VALIDATED, validated_at=timezone.now(), updated_at=timezone.now()
        )

    def update_statuses(self):  # queryset.update() of many statuses, in both directions
        ids = [entry.pk for entry in self.entries(EntryStatus.VALIDATED, EntryStatus.SUBMITTED)]
        half = len(ids) // 2
        ResultEntry.objects.filter(pk__in=ids[:half]).update(status=EntryStatus.RETURNED)
        ResultEntry.objects.filter(pk__in=ids[half:]).update(status=EntryStatus.VALIDATED)

    def update_values(self):  # queryset.update() of validated values (updated_at untouched)
        ids = [entry.pk for entry in self.entries(EntryStatus.VALIDATED, limit=10)]
        ResultEntry.objects.filter(pk__in=ids).update(value=self.value())

    def move_action(self):
        action = OperationalAction.objects.order_by("?").first()
        plan = self.rng.choice([plan for plan in self.plans if plan.pk != action.plan_id])
        services.action_update(action=action, by=None, plan=plan)

    def move_actions_at_once(self):  # one UPDATE moving several actions
        ids = list(OperationalAction.objects.order_by("?").values_list("pk", flat=True)[:3])
        OperationalAction.objects.filter(pk__in=ids).update(plan=self.rng.choice(self.plans))

    def delete_action(self):
        action = OperationalAction.objects.order_by("?").first()
        ResultEntry.objects.filter(action=action).delete()  # entries protect their action
        action.delete()  # and its participation with it

    def add_participant(self):
        action = OperationalAction.objects.order_by("?").first()
        taken = set(action.participations.values_list("organisation_id", flat=True))
        free = [org for org in self.countries if org.pk not in taken]
        if free:
            role = self.rng.choice([ParticipationRole.PARTICIPANT, ParticipationRole.CO_LEADER])
            Participation.objects.create(action=action, organisation=self.rng.choice(free), role=role)

    def change_role(self):
        part = Participation.objects.exclude(role=ParticipationRole.LEADER).order_by("?").first()
        part.role = (
            ParticipationRole.CO_LEADER
            if part.role == ParticipationRole.PARTICIPANT
            else ParticipationRole.PARTICIPANT
        )
        part.save()

    def remove_participant(self):
        Participation.objects.exclude(role=ParticipationRole.LEADER).order_by("?").first().delete()

    def raw_sql(self):  # a write no Python code sees: validate a few entries in SQL
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {ResultEntry._meta.db_table} SET status = %s WHERE id IN "
                f"(SELECT id FROM {ResultEntry._meta.db_table} WHERE status = %s ORDER BY id LIMIT 3)",
                [EntryStatus.VALIDATED, EntryStatus.DRAFT],
            )

    OPERATIONS = {
        "record": 12,
        "submit": 10,
        "validate": 10,
        "send_back": 5,
        "edit_open": 3,
        "superuser_edit_validated": 4,
        "resave_validated": 2,
        "delete_open": 3,
        "delete_validated": 3,
        "bulk_record_and_validate": 3,
        "update_statuses": 2,
        "update_values": 1,
        "move_action": 3,
        "move_actions_at_once": 1,
        "delete_action": 1,
        "add_participant": 3,
        "change_role": 2,
        "remove_participant": 2,
        "raw_sql": 1,
    }

    def run(self, steps: int):
        names, weights = zip(*self.OPERATIONS.items(), strict=True)
        for _ in range(steps):
            name = self.rng.choices(names, weights)[0]
            with transaction.atomic():  # as each service call or request would
                getattr(self, name)()
            self.done[name] = self.done.get(name, 0) + 1
        return self.done


@pytest.mark.parametrize("seed", [2022, 2025])
def test_random_writes_through_every_path_keep_the_figures_exact(demo_data, seed):
    done = Writer(seed).run(300)
    assert len(done) == len(Writer.OPERATIONS)  # every write path was taken
    assert_compile_matches_the_entries(priorities=[drugs()])


def test_the_checksum_follows_updated_at_alone(demo_data):
    before = compile_figures(year=2023)
    entry = ResultEntry.objects.filter(year=2023, status=EntryStatus.VALIDATED).first()
    entry.save()  # same value: only updated_at changes
    after = compile_figures(year=2023)
    assert after.figures == before.figures and after.checksum != before.checksum
    assert after.checksum == reference_compile(year=2023).checksum


def test_an_action_moved_to_another_plan_takes_its_results_along(demo_data):
    before = compile_figures(year=2023).figures
    action = (
        OperationalAction.objects.filter(results__year=2023, results__status=EntryStatus.VALIDATED)
        .order_by("pk")
        .first()
    )
    source = action.plan.priority
    target = OperationalActionPlan.objects.exclude(priority=source).filter(start_year=2022).first()
    services.action_update(action=action, by=None, plan=target)
    after = compile_figures(year=2023).figures
    assert after["headline"] == before["headline"]  # the totals stay, the breakdowns move
    assert after["by_plan"] != before["by_plan"] and after["by_priority"] != before["by_priority"]
    assert_compile_matches_the_entries(priorities=[source, target.priority])
