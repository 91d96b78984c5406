"""Factsheets compiled while entries are recorded, submitted, validated and returned (PostgreSQL).

Writer threads go through `oap.services`; a compile thread runs the compile task's work
(`reporting.services.factsheet_compile`: figures, files, the stored version) for three scopes,
round after round. Half of the compiles are captured: their transaction exports the snapshot
their first read sees (`pg_export_snapshot()`), and while it is still open a second connection
imports it (`SET TRANSACTION SNAPSHOT`) and computes the oracle there
(`tests/reporting/reference.py`: other queries, ORM aggregation). Then, for every stored version:
headline = Σ by plan = Σ by priority (checked here, not by the code under test), and for the
captured ones every figure and the checksum equal the oracle's of the same snapshot.

How the snapshot is caught: writers pass a gate around each service call (transaction and
commit); a captured compile closes the gate, exports the snapshot and runs its first statement,
and opens the gate again — so no write commits between the export and that statement, and both
see the same data. A compile that reads more than once reads the later statements while writes
commit again (as main's compile did, with 7 queries): its figures then differ from the oracle's
or contradict themselves, and this test fails.
"""

import random
import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from decimal import Decimal

import pytest
from django.db import connection, transaction

from oap import services as oap_services
from oap.choices import EntryStatus, OrganisationKind, ParticipationRole, ResultCategory, ResultUnit
from oap.models import Participation, PriorityCrimeArea, ResultEntry
from reporting import services
from reporting.choices import FactsheetStatus
from reporting.models import Factsheet
from tests.factories import (
    ActionFactory,
    OrganisationFactory,
    PlanFactory,
    PriorityFactory,
    ResultTypeFactory,
)
from tests.reporting.reference import reference_compile

pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

WRITERS = 3
ROUNDS = 8  # compiles per scope
BREAKDOWN_KEYS = (
    "arrests",
    "migrant_smugglers_arrested",
    "victims_identified",
    "investigations_initiated",
    "assets_seized_eur",
    "drugs_seized_kg",
    "operational_actions",
)
TYPES = [
    ("arrests", ResultUnit.COUNT, ResultCategory.ARRESTS),
    ("migrant_smugglers_arrested", ResultUnit.COUNT, ResultCategory.ARRESTS),
    ("victims_identified", ResultUnit.COUNT, ResultCategory.VICTIMS),
    ("investigations_initiated", ResultUnit.COUNT, ResultCategory.INVESTIGATIONS),
    ("assets_seized_eur", ResultUnit.EUR, ResultCategory.ASSETS),
    ("cocaine_kg", ResultUnit.KG, ResultCategory.DRUGS),
    ("cannabis_t", ResultUnit.TONNES, ResultCategory.DRUGS),
]


class Gate:
    """Writers pass together; a captured compile holds it alone while it takes its snapshot."""

    def __init__(self):
        self._condition = threading.Condition()
        self._writers = self._waiting = 0
        self._held = False

    @contextmanager
    def write(self):
        with self._condition:
            self._condition.wait_for(lambda: not (self._held or self._waiting))
            self._writers += 1
        try:
            yield
        finally:
            with self._condition:
                self._writers -= 1
                self._condition.notify_all()

    def hold(self):
        with self._condition:
            self._waiting += 1
            self._condition.wait_for(lambda: not (self._writers or self._held))
            self._waiting -= 1
            self._held = True

    def release(self):
        with self._condition:
            self._held = False
            self._condition.notify_all()


def contradictions(figures: dict) -> list[str]:
    """headline = Σ by plan = Σ by priority, for every breakdown counter (exact decimals)."""
    found = []
    for breakdown in ("by_plan", "by_priority"):
        for key in BREAKDOWN_KEYS:
            total = sum(Decimal(str(row[key])) for row in figures[breakdown])
            if total != Decimal(str(figures["headline"][key])):
                found.append(f"{key}: headline {figures['headline'][key]}, Σ {breakdown} {total}")
    return found


@pytest.fixture
def world(on_postgres):
    """Two priorities, three plans, twelve actions of four organisations, validated entries."""
    types = [ResultTypeFactory(code=code, unit=unit, category=category) for code, unit, category in TYPES]
    drugs, other = PriorityFactory(code="DRUGS"), PriorityFactory(code="THB")
    plans = [PlanFactory(priority=drugs), PlanFactory(priority=drugs), PlanFactory(priority=other)]
    kinds = [OrganisationKind.MEMBER_STATE] * 5 + [OrganisationKind.THIRD_COUNTRY] * 2
    orgs = [OrganisationFactory(kind=kind) for kind in [*kinds, OrganisationKind.EU_AGENCY]]
    rng = random.Random(14)
    slots, entries = [], []
    roles = (ParticipationRole.LEADER, ParticipationRole.CO_LEADER, *[ParticipationRole.PARTICIPANT] * 2)
    for index in range(12):
        action = ActionFactory(plan=plans[index % 3])
        for org, role in zip(rng.sample(orgs, 4), roles, strict=True):
            Participation.objects.create(action=action, organisation=org, role=role)
            slots += [(action, org, result_type, year) for result_type in types for year in (2022, 2023)]
    rng.shuffle(slots)
    for action, org, result_type, year in slots[:150]:  # a validated start
        entries.append(
            ResultEntry(
                action=action,
                organisation=org,
                result_type=result_type,
                year=year,
                value=Decimal(rng.randint(1, 400)),
                status=EntryStatus.VALIDATED,
            )
        )
    ResultEntry.objects.bulk_create(entries)
    return {"slots": slots[150:], "drugs": drugs}


class Writer(threading.Thread):
    """Records, submits, validates and returns its own entries through oap.services."""

    OPERATIONS = {"record": 3, "submit": 3, "validate": 3, "send_back": 2}

    def __init__(self, index, slots, gate, stop):
        super().__init__(name=f"writer-{index}")
        self.rng = random.Random(index)
        self.slots, self.gate, self.stop = slots, gate, stop
        self.entries = {status: [] for status in EntryStatus.values}
        self.done = dict.fromkeys(self.OPERATIONS, 0)
        self.error = None

    def take(self, *statuses):
        pool = [(status, entry) for status in statuses for entry in self.entries[status]]
        if not pool:
            return None
        status, entry = self.rng.choice(pool)
        self.entries[status].remove(entry)
        return entry

    def record(self):
        if not self.slots:
            return None
        action, org, result_type, year = self.slots.pop()
        whole = result_type.unit in (ResultUnit.COUNT, ResultUnit.EUR)
        value = Decimal(self.rng.randint(1, 900)) / (1 if whole else 8)
        return oap_services.result_record(
            by=None, action=action, organisation=org, result_type=result_type, year=year, value=value
        )

    def submit(self):
        entry = self.take(EntryStatus.DRAFT, EntryStatus.RETURNED)
        return entry and oap_services.result_submit(entry=entry, by=None)

    def validate(self):
        entry = self.take(EntryStatus.SUBMITTED)
        return entry and oap_services.result_validate(entry=entry, by=None)

    def send_back(self):
        entry = self.take(EntryStatus.VALIDATED, EntryStatus.VALIDATED, EntryStatus.SUBMITTED)
        return entry and oap_services.result_return(entry=entry, by=None, reason="Check the figure.")

    def run(self):
        names, weights = zip(*self.OPERATIONS.items(), strict=True)
        try:
            while not self.stop.is_set():
                name = self.rng.choices(names, weights)[0]
                with self.gate.write():
                    entry = getattr(self, name)()
                if entry:
                    self.entries[entry.status].append(entry)
                    self.done[name] += 1
        except Exception as error:  # reported by the test
            self.error = error
        finally:
            connection.close()


def captured(compile_figures, gate: Gate, oracle: ThreadPoolExecutor, seen: dict):
    """`compile_figures`, run so that the oracle reads the very snapshot its first statement reads."""

    def compile_captured(*, year, priority=None):
        statements = 0

        def count(execute, sql, params, many, context):
            nonlocal statements
            try:
                return execute(sql, params, many, context)
            finally:
                statements += 1
                if statements == 1:
                    gate.release()  # writes may commit again

        with transaction.atomic():
            gate.hold()
            try:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_export_snapshot()")
                    snapshot = cursor.fetchone()[0]
                with connection.execute_wrapper(count):
                    compiled = compile_figures(year=year, priority=priority)
            finally:
                if statements == 0:
                    gate.release()
            expected = oracle.submit(oracle_in, snapshot, year, priority and priority.pk).result()
        seen[compiled.checksum] = (compiled, expected)
        return compiled

    return compile_captured


def oracle_in(snapshot: str, year: int, priority_id: int | None):
    """The oracle's figures, read in the snapshot another transaction exported."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SET TRANSACTION SNAPSHOT %s", [snapshot])
        priority = PriorityCrimeArea.objects.get(pk=priority_id) if priority_id else None
        return reference_compile(year=year, priority=priority)


def test_compiles_under_writes_agree_with_themselves_and_with_their_snapshot(world, monkeypatch):
    scopes = [
        Factsheet.objects.create(year=year, priority=priority, status=FactsheetStatus.COMPILING)
        for year, priority in ((2023, None), (2023, world["drugs"]), (2022, None))
    ]
    gate, stop, seen = Gate(), threading.Event(), {}
    oracle = ThreadPoolExecutor(max_workers=1, thread_name_prefix="oracle")
    plain = services.compile_figures
    capturing = captured(plain, gate, oracle, seen)
    slots = world["slots"]
    writers = [Writer(i, slots[i::WRITERS], gate, stop) for i in range(WRITERS)]
    stored = []
    for writer in writers:
        writer.start()
    try:
        for round_ in range(ROUNDS):
            for factsheet in scopes:
                # every other round captured; the others compile exactly as in production
                monkeypatch.setattr(services, "compile_figures", capturing if round_ % 2 == 0 else plain)
                services.factsheet_compile(factsheet_id=factsheet.pk)
                stored.append(Factsheet.objects.get(pk=factsheet.pk))
    finally:
        stop.set()
        for writer in writers:
            writer.join(timeout=120)
        oracle.submit(lambda: connection.close()).result()  # the oracle thread's own connection
        oracle.shutdown()

    assert [w.error for w in writers] == [None] * WRITERS
    for writer in writers:  # the writers did write, every way, while the compiles ran
        assert all(writer.done.values()), writer.done
    assert all(f.status == FactsheetStatus.COMPILED for f in stored), [f.error for f in stored]
    versions = {(f.pk, f.checksum): f for f in (*stored, *Factsheet.objects.all())}  # each stored once
    contradicting = [
        f"{f.year} {f.scope_label} {f.checksum[:8]}: {problem}"
        for f in versions.values()
        for problem in contradictions(f.figures)
    ]
    compared, differing = 0, []
    for version in stored:
        if version.checksum in seen:
            compared += 1
            expected = seen[version.checksum][1]
            keys = [key for key in expected.figures if expected.figures[key] != version.figures.get(key)]
            if keys or version.checksum != expected.checksum:
                differing.append(f"{version.year} {version.scope_label}: differs from its snapshot in {keys}")
    assert compared >= ROUNDS // 2 * len(scopes)  # every captured compile was compared
    assert len({f.checksum for f in stored if f.year == 2023 and f.priority is None}) > 2  # data moved
    print(
        f"{len(stored)} compiles ({compared} compared with their snapshot), writes "
        f"{[w.done for w in writers]}, {len(versions)} stored versions"
    )
    assert contradicting == differing == [], (
        f"{len({line.split(':')[0] for line in contradicting})} of {len(versions)} stored versions contradict "
        f"themselves, {len(differing)} of {compared} captured compiles differ from their snapshot:\n"
        + "\n".join(contradicting + differing)
    )
