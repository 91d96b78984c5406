"""The fast path of `services.results_record_bulk`: column-wise checks, COPY, history in SQL.

The plain-row shortcuts must agree with the full row checks on every input; what COPY writes
(comments with tabs, newlines, backslashes, any Unicode) must read back exactly, in the entries
and their history records; the returned entries must be those stored, in the order of the rows.
"""

import random
from decimal import Decimal

import psycopg
import pytest
from django.db import IntegrityError, connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from oap import services
from oap.choices import EntryStatus, ParticipationRole
from oap.models import ResultEntry
from tests import factories as f

History = ResultEntry.history.model

# --- the plain-row shortcuts agree with `_clean_row` ----------------------------------------

PLAIN = {
    "action": "OA 1.1",
    "organisation": "ES",
    "result_type": "arrests",
    "year": 2024,
    "half_year": None,
    "value": "12",
    "comment": "",
}


class Text(str):
    """A str subclass (as some parsers give): accepted like text, never by the shortcuts' type checks."""


#: the values each field may take in a request or a spreadsheet, good, odd and bad
# fmt: off
VARIANTS = {
    "action": ["OA 1.1", " OA 1.1 ", "OA\t1.1", "", "   ", None, 7, "OA\x001.1", Text("OA 1.1"), ["OA 1.1"]],
    "organisation": ["ES", "es", " ES", "", None, True, "E\x00S"],
    "result_type": ["arrests", "arrests\n", "", None, 1.5],
    "year": [
        2024, "2024", " 2024 ", "02024", "+2024", "2024.0", 2024.0, True, 2009, 2101, "2101", "١٢٣٤", "",
        None, [2024], Decimal("2024"), 2010, 2100,
    ],
    "half_year": [None, "", 1, 2, "1", "2", " 1", 1.0, 2.0, True, False, 0, 3, "3", "x", [1], Decimal(1)],
    "value": [
        "12", "0", "007", "12.5", "12.125", "12.1250", "12.", ".5", "1e2", "1E+2", " 12", "12 ", "-1", "-0",
        "NaN", "inf", "", None, 12, 0, -1, 10**15 - 1, 10**15, "9" * 15, "9" * 16, "0" * 16 + "1", 12.5,
        True, Decimal("1.5"), "١٢", "12,5",
    ],
    "comment": ["", None, "a", "tab\there", "a\x00b", 5, "é ✓ 😀", Text("sub")],
}
# fmt: on


def cleaned_by_row(row):
    """What the full, row-by-row check makes of `row`: its clean tuple, or None if it has errors."""
    clean, errors = services._clean_row(row)
    if errors:
        return None
    return (
        clean["action"],
        clean["organisation"],
        clean["result_type"],
        clean["year"],
        clean["half_year"],
        format(clean["value"], "f"),
        clean["comment"],
    )


def variants():
    for name, values in VARIANTS.items():
        for value in values:
            yield {**PLAIN, name: value}
    for name in ("half_year", "comment"):
        yield {k: v for k, v in PLAIN.items() if k != name}  # optional fields left out
    yield {**PLAIN, "status": "validated"}
    yield {**PLAIN, "id": 3}
    yield {}
    yield ["OA 1.1", "ES"]
    yield None


def random_rows(count=3000, seed=20260101):
    rng = random.Random(seed)
    for _ in range(count):  # a seeded mix of everything, fields sometimes left out
        row = {
            name: rng.choice(values) if rng.random() < 0.3 else PLAIN[name]
            for name, values in VARIANTS.items()
        }
        yield {name: value for name, value in row.items() if name in PLAIN and rng.random() > 0.05}


def check_shortcuts(row):
    expected = cleaned_by_row(row)
    plain = services._plain_row(row)
    if plain is not None:
        assert plain == expected  # the shortcut never accepts what the full check refuses
        assert all(type(v) in (str, int, type(None)) for v in plain)
    columns = services._plain_columns([row, row])
    if columns is not None:
        assert plain is not None
        assert list(zip(*columns, strict=True)) == [expected, expected]
    cleaned = services._clean_rows([row])
    if expected is None:
        assert type(cleaned[0]) is services._Unclean and cleaned[0].errors
    else:
        assert cleaned == [expected]
    return expected, plain, columns


@pytest.mark.parametrize("row", list(variants()))
def test_a_plain_row_is_cleaned_as_the_full_check_cleans_it(row):
    check_shortcuts(row)


def test_random_rows_are_cleaned_as_the_full_check_cleans_them():
    rows = list(random_rows())
    outcomes = [check_shortcuts(row) for row in rows]
    assert sum(plain is not None for _, plain, _ in outcomes) > 300  # the shortcuts were tried
    taken = 0
    for start in range(0, len(rows), 3):  # and columns of a few rows at once
        columns = services._plain_columns(rows[start : start + 3])
        if columns is not None:
            taken += 1
            assert list(zip(*columns, strict=True)) == [
                expected for expected, _, _ in outcomes[start : start + 3]
            ]
    assert taken > 3


def test_the_usual_rows_take_the_shortcuts():
    usual = [
        PLAIN,
        {**PLAIN, "year": "2024", "half_year": "", "value": "3.5"},  # a spreadsheet's row
        {**PLAIN, "half_year": 2, "value": 5, "comment": None},  # a request's row
        {k: v for k, v in PLAIN.items() if k not in ("half_year", "comment")},
    ]
    for row in usual:
        expected, plain, columns = check_shortcuts(row)
        assert expected is not None and plain == expected and columns is not None


def test_columns_of_mixed_rows_are_those_of_each_row():
    rows = [
        dict(PLAIN, value=str(n), half_year=(None, 1, "2", "")[n % 4], year=2020 + n % 3) for n in range(50)
    ]
    rows[7]["comment"] = None
    rows[8]["comment"] = "x"
    rows[9]["value"] = 9
    columns = services._plain_columns([r for r in rows if r is not rows[9]])
    assert list(zip(*columns, strict=True)) == [cleaned_by_row(r) for r in rows if r is not rows[9]]
    assert services._plain_columns(rows) is None  # text and numbers mixed: row by row then
    assert services._clean_rows(rows) == [cleaned_by_row(r) for r in rows]
    # one float among ints: 2024.0 == 2024, so the type check must see every value
    assert services._plain_columns([dict(PLAIN), dict(PLAIN, year=2024.0)]) is None
    assert services._plain_columns([dict(PLAIN), dict(PLAIN, half_year=True)]) is None
    assert services._plain_columns([dict(PLAIN, half_year=1), dict(PLAIN, half_year=True)]) is None


# --- writing: COPY and the history records ----------------------------------------------------


@pytest.fixture
def spain(db):
    es = f.OrganisationFactory(code="ES", name="Spain")
    plan = f.PlanFactory(code="DRUGS-CCH", driver=es)
    actions = [f.ActionFactory(plan=plan, code=f"DRUGS-CCH {n}.1") for n in range(3)]
    for action in actions:
        f.ParticipationFactory(action=action, organisation=es, role=ParticipationRole.LEADER)
    types = [f.ResultTypeFactory(code=f"counter_{n}") for n in range(4)]
    user = f.UserFactory(username="es.coordinator", organisation=es)
    return {"es": es, "actions": actions, "types": types, "user": user}


def rows_for(world, count, **fields):
    rows = [
        {
            "action": action.code,
            "organisation": "ES",
            "result_type": counter.code,
            "year": 2024,
            "half_year": half,
            "value": f"{n}.5",
            "comment": "",
        }
        for n, (action, counter, half) in enumerate(
            (a, t, h) for a in world["actions"] for t in world["types"] for h in (None, 1, 2)
        )
    ][:count]
    assert len(rows) == count
    for row in rows:
        row.update(fields)
    return rows


COMMENTS = [
    "",
    "plain",
    "tab\there",
    "new\nline",
    "carriage\rreturn\r\n",
    "back\\slash",
    "\\N",
    "\\.",
    "\\.\n\\.",
    "a\\tb (a backslash and a t)",
    "\\\\ two",
    "ends with a backslash \\",
    "\t\n\r\\",
    "  spaces kept  ",
    "Ünïcødé — “quotes” ✓ 😀 中文 \u200b",
    "\x01\x08\x0b\x0c\x1b\x7f control characters",
    "x" * 10_000,
]


def test_comments_round_trip_exactly_into_entries_and_history(spain):
    rows = rows_for(spain, len(COMMENTS))
    for row, comment in zip(rows, COMMENTS, strict=True):
        row["comment"] = comment
    created = services.results_record_bulk(by=spain["user"], rows=rows)
    stored = dict(ResultEntry.objects.filter(pk__in=created.ids).values_list("pk", "comment"))
    assert [stored[pk] for pk in created.ids] == COMMENTS
    history = dict(History.objects.filter(id__in=created.ids).values_list("id", "comment"))
    assert [history[pk] for pk in created.ids] == COMMENTS
    assert [entry.comment for entry in created] == COMMENTS


def test_the_returned_entries_are_those_stored_in_the_order_of_the_rows(spain):
    rows = rows_for(spain, 30)
    random.Random(5).shuffle(rows)
    rows[3]["value"] = 7  # a number, not text
    rows[4]["value"] = "1E+2"  # taken row by row, stored as 100
    created = services.results_record_bulk(by=spain["user"], rows=rows)
    assert isinstance(created, services.RecordedResults)
    assert len(created) == 30 == len(created.ids) == len(set(created.ids))
    assert [entry.pk for entry in created] == created.ids == [entry.id for entry in created]
    assert created[0] == next(iter(created)) and created[-1] == list(created)[-1]
    assert created[2:4] == list(created)[2:4]
    stored = {e.pk: e for e in ResultEntry.objects.filter(pk__in=created.ids).select_related("action")}
    assert len(stored) == 30
    for row, entry in zip(rows, created, strict=True):
        assert isinstance(entry, services.RecordedResult) and isinstance(entry.value, Decimal)
        db = stored[entry.pk]
        assert (entry.action_id, entry.organisation_id, entry.result_type_id) == (
            db.action_id,
            db.organisation_id,
            db.result_type_id,
        )
        assert (entry.year, entry.half_year, entry.value, entry.comment) == (
            db.year,
            db.half_year,
            db.value,
            db.comment,
        )
        assert db.action.code == row["action"] and db.value == Decimal(str(row["value"]))
        assert db.status == EntryStatus.DRAFT and db.entered_by_id == spain["user"].pk
        assert db.return_reason == "" and db.submitted_at is db.validated_at is db.validated_by_id is None
    assert stored[created.ids[4]].value == Decimal(100)


def test_history_records_are_those_bulk_create_with_history_writes(spain):
    before = timezone.now()
    created = services.results_record_bulk(by=spain["user"], rows=rows_for(spain, 12, comment="c"))
    entries = {e.pk: e for e in ResultEntry.objects.filter(pk__in=created.ids)}
    records = list(History.objects.filter(id__in=created.ids).order_by("history_id"))
    assert [r.id for r in records] == sorted(created.ids)  # one record each, in the order of the ids
    fields = [f.attname for f in ResultEntry._meta.concrete_fields]
    for record in records:
        entry = entries[record.id]
        assert {name: getattr(record, name) for name in fields} == {
            name: getattr(entry, name) for name in fields
        }
        assert record.history_type == "+" and record.history_user_id == spain["user"].pk
        assert record.history_change_reason is None  # as bulk_create_with_history and save() leave it
        assert before <= entry.entered_at <= entry.updated_at <= record.history_date <= timezone.now()
        if connection.vendor == "postgresql":  # COPY: one moment for all (the ORM takes a few)
            assert record.history_date == entry.entered_at == entry.updated_at


def test_the_orm_path_writes_the_same_rows(spain, monkeypatch):
    """The path of SQLite (and of a model COPY does not know) gives what the COPY path gives."""
    names = ["action_id", "organisation_id", "result_type_id", "half_year", "value", "comment", "status"]
    names += ["return_reason", "entered_by_id", "submitted_at", "validated_at", "validated_by_id"]
    order = ["action_id", "result_type_id", "half_year"]

    def stored(ids):
        entries = ResultEntry.objects.filter(pk__in=ids).order_by(*order).values_list(*names)
        history = (
            History.objects.filter(id__in=ids)
            .order_by(*order)
            .values_list(*names, "history_type", "history_user_id", "history_change_reason")
        )
        return list(entries), list(history)

    rows = rows_for(spain, 18, comment="tab\tand\\backslash")
    copied = services.results_record_bulk(by=spain["user"], rows=rows)
    monkeypatch.setattr(services, "_copy_entries_with_history", lambda *args: None)
    created = services.results_record_bulk(by=spain["user"], rows=[dict(row, year=2025) for row in rows])
    first, second = stored(copied.ids), stored(created.ids)
    assert len(first[0]) == len(first[1]) == 18
    assert first == second
    assert [e.pk for e in created] == created.ids
    assert set(ResultEntry.objects.filter(pk__in=created.ids).values_list("year", flat=True)) == {2025}


def test_a_dry_run_returns_the_entries_without_saving_them(spain):
    before = ResultEntry.objects.count(), History.objects.count()
    checked = services.results_record_bulk(by=spain["user"], rows=rows_for(spain, 5), dry_run=True)
    assert len(checked) == 5 and checked.ids == [None] * 5
    assert [entry.pk for entry in checked] == [None] * 5
    assert checked[1].value == Decimal("1.5") and checked[1].half_year == 1
    assert (ResultEntry.objects.count(), History.objects.count()) == before


def test_progress_is_reported_up_to_the_total(spain, monkeypatch):
    monkeypatch.setattr(services, "_COPY_CHUNK", 4)
    calls = []
    services.results_record_bulk(
        by=spain["user"],
        rows=rows_for(spain, 10),
        on_progress=lambda done, total: calls.append((done, total)),
    )
    assert calls[-1] == (10, 10) and all(total == 10 for _, total in calls)
    assert [done for done, _ in calls] == sorted(done for done, _ in calls)
    if connection.vendor == "postgresql":
        assert calls == [(4, 10), (8, 10), (10, 10)]


def test_postgresql_takes_the_copy_path(spain, on_postgres):
    with CaptureQueriesContext(connection) as queries:
        created = services.results_record_bulk(by=spain["user"], rows=rows_for(spain, 8))
    sql = [q["sql"] for q in queries.captured_queries]
    inserts = [q for q in sql if "INSERT" in q]  # no ORM inserts: COPY, then one INSERT … SELECT
    assert len(inserts) == 1 and inserts[0].startswith('INSERT INTO "oap_historicalresultentry"'), sql
    assert History.objects.filter(id__in=created.ids).count() == 8


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_rows_another_session_inserts_meanwhile_are_not_taken_for_ours(monkeypatch, on_postgres):
    """The new rows are found by id range and transaction: a row committed by another session in
    the middle of the COPY (its id among ours) is neither returned nor given a history record."""
    es = f.OrganisationFactory(code="ES", name="Spain")
    action = f.ActionFactory(code="DRUGS-CCH 1.1")
    f.ParticipationFactory(action=action, organisation=es, role=ParticipationRole.LEADER)
    types = [f.ResultTypeFactory(code=f"counter_{n}") for n in range(6)]
    user = f.UserFactory(username="es.coordinator", organisation=es)
    db = connection.settings_dict
    other = psycopg.connect(
        dbname=db["NAME"],
        user=db["USER"],
        password=db["PASSWORD"] or None,
        host=db["HOST"],
        port=db["PORT"] or None,
        autocommit=True,
    )
    foreign = []

    def meanwhile(done, total):
        if not foreign:  # after the first chunk is sent: its id comes before those of the last rows
            foreign.append(
                other.execute(
                    "INSERT INTO oap_resultentry (action_id, organisation_id, result_type_id, year, value, status, "
                    "comment, return_reason, entered_at, updated_at) "
                    "VALUES (%s, %s, %s, 2031, 1, 'draft', 'other', '', now(), now()) RETURNING id",
                    [action.pk, es.pk, types[0].pk],
                ).fetchone()[0]
            )

    monkeypatch.setattr(services, "_COPY_CHUNK", 2)
    rows = [
        {"action": action.code, "organisation": "ES", "result_type": t.code, "year": 2024, "value": "1"}
        for t in types
    ]
    try:
        created = services.results_record_bulk(by=user, rows=rows, on_progress=meanwhile)
    finally:
        other.close()
    (foreign_id,) = foreign
    # drawn from the sequence after the bulk's first value, before its last: in the id range it reads back
    assert foreign_id < max(created.ids)
    assert foreign_id not in created.ids
    ours = ResultEntry.objects.filter(entered_by=user)
    assert sorted(created.ids) == sorted(ours.values_list("pk", flat=True)) and len(created) == 6
    assert sorted(History.objects.values_list("id", flat=True)) == sorted(created.ids)
    assert ResultEntry.objects.get(pk=foreign_id).comment == "other"


def test_without_history_no_records_are_written(spain, settings):
    settings.SIMPLE_HISTORY_ENABLED = False
    before = History.objects.count()
    created = services.results_record_bulk(by=spain["user"], rows=rows_for(spain, 7))
    assert sorted(created.ids) == sorted(ResultEntry.objects.values_list("pk", flat=True))
    assert len(created) == 7 and History.objects.count() == before


def test_a_bulk_by_nobody_is_recorded_without_a_user(spain):
    """System writes (by=None) have no user to check or to name in the audit trail."""
    created = services.results_record_bulk(by=None, rows=rows_for(spain, 4))
    assert set(ResultEntry.objects.filter(pk__in=created.ids).values_list("entered_by_id", flat=True)) == {
        None
    }
    records = History.objects.filter(id__in=created.ids)
    assert records.count() == 4 and set(records.values_list("history_user_id", flat=True)) == {None}


def test_every_rule_is_named_with_its_row_when_the_rows_are_plain(spain):
    """Plain rows go column-wise first; any broken rule sends them row by row, in the same words."""
    de = f.OrganisationFactory(code="DE", name="Germany")
    f.OrganisationFactory(code="FR", name="France")
    action = spain["actions"][0]
    f.ParticipationFactory(action=action, organisation=de)
    services.year_lock(year=2023, by=None)
    rows = rows_for(spain, 12)  # all in action 0: 4 counters × 3 periods
    f.ResultEntryFactory(action=action, organisation=spain["es"], result_type=spain["types"][2], year=2024)
    rows[1]["action"] = "NO-SUCH 1.1"
    rows[2]["organisation"] = "DE"
    rows[3]["organisation"] = "FR"
    rows[4]["year"] = 2023
    rows[5] = dict(rows[0])
    rows[7]["result_type"] = "nope"
    assert services._plain_columns(rows) is not None
    with pytest.raises(services.RowErrors) as refused:
        services.results_record_bulk(by=spain["user"], rows=rows)
    assert refused.value.rows == {
        1: {"action": ["No operational action with code 'NO-SUCH 1.1'."]},
        2: {"organisation": ["You may record results only for your own organisation."]},
        3: {"organisation": ["FR does not take part in DRUGS-CCH 0.1."]},
        4: {"year": [services._locked_message(2023)]},
        5: {"result_type": ["The same period is given again in row 0."]},
        6: {"result_type": ["ES already reported counter_2 in DRUGS-CCH 0.1 for this period."]},
        7: {"result_type": ["No result type with code 'nope'."]},
    }
    assert str(refused.value.messages[0]) == "7 of 12 rows are invalid; nothing was saved."
    assert ResultEntry.objects.count() == 1


def test_a_duplicate_slipping_past_the_checks_is_an_integrity_error(spain, monkeypatch):
    """Another request may record the same period between the checks and the write: the unique
    index refuses it, as Django's IntegrityError (the API's 409), and nothing is written."""
    rows = rows_for(spain, 6)
    f.ResultEntryFactory(
        action=spain["actions"][0], organisation=spain["es"], result_type=spain["types"][1], year=2024
    )
    known = services._known
    monkeypatch.setattr(services, "_known", lambda *args: known(*args)._replace(existing=set()))
    before = ResultEntry.objects.count(), History.objects.count()
    with pytest.raises(IntegrityError):
        services.results_record_bulk(by=spain["user"], rows=rows)
    assert (ResultEntry.objects.count(), History.objects.count()) == before
