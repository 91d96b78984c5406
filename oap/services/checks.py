"""THE row checker: what a result entry may be, for every path that writes one.

The admin form, the results grid, the API (one entry or a bulk of thousands) and the spreadsheet
import all hand their rows to `check_new_entries` (new entries) or `check_change` (a new value
for an open entry), and write what it returns with `write_entries`. Each rule below lives here
only:

- **fields**: codes (or rows) for the action, organisation and counter; a year from MIN_YEAR to
  MAX_YEAR; half-year 1, 2 or none; a value; a comment of at most MAX_TEXT characters;
- **who first**: a coordinator records only for their own organisation (superusers and system
  writes for any) — checked before anything that depends on other rows, so a refusal never
  reveals another organisation's figures;
- **taking part**: the organisation takes part in the action;
- **years**: the year is open (not locked) and within the action's years (its start and end
  dates, or its plan's years when it has none);
- **units**: counts are whole numbers; amounts have at most 3 decimals; no value exceeds its
  unit's maximum (`UNIT_RULES`); values are never negative;
- **periods**: for one action, organisation, counter and year either one whole-year figure or
  half-year figures, never both, and no period twice — against the database and the other rows.

Problems carry a kind, so each path answers in its own way: a bulk or an import lists every bad
row (400); one entry is a 404 (`hidden`), 403 (`forbidden`), 400 (`invalid`) or 409 (`conflict`,
with the existing entry when a duplicate is the reason).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from operator import itemgetter
from typing import NamedTuple

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from .. import access, db
from ..choices import EntryStatus
from ..models import (
    OperationalAction,
    Organisation,
    Participation,
    ResultEntry,
    ResultType,
)
from .base import Refused, acting
from .fields import MAX_TEXT, Problem, clean_text, clean_value, parse_row
from .years import locked_messages

__all__ = [
    "MAX_TEXT",
    "Checked",
    "Problem",
    "RowErrors",
    "check_change",
    "check_new_entries",
    "clean_text",
    "clean_value",
    "write_entries",
]


class RowErrors(ValidationError):
    """Some rows are invalid; `rows` maps each bad row's index to {field: [messages]}."""

    def __init__(self, problems: dict[int, list[Problem]], total: int):
        self.problems = dict(sorted(problems.items()))
        self.rows = {
            index: {field: [p.message for p in found if p.field == field] for field in _fields(found)}
            for index, found in self.problems.items()
        }
        count = len(self.rows)
        super().__init__(f"{count} of {total} rows are invalid; nothing was saved.")


def _fields(problems: list[Problem]) -> list[str]:
    return list(dict.fromkeys(p.field for p in problems))


@dataclass
class Checked:
    """One row that passed every rule: what `write_entries` stores."""

    action: OperationalAction
    organisation: Organisation
    result_type: ResultType
    year: int
    half_year: int | None
    value: Decimal
    comment: str


def period_label(year: int, half_year: int | None) -> str:
    return f"{year} H{half_year}" if half_year else f"{year} (whole year)"


# --- what the rows refer to, read set-wise ------------------------------------------------------


class _Index:
    """The rows' actions, organisations and counters, by code and by id (one query each)."""

    def __init__(self, model, queryset, parsed: list[dict], field: str):
        given = [p[field] for p in parsed if field in p]
        codes = {g for g in given if isinstance(g, str)}
        ids = {g.pk for g in given if isinstance(g, model)}
        found = list(queryset.filter(models.Q(code__in=codes) | models.Q(pk__in=ids)))
        self.by_code = {obj.code: obj for obj in found}
        self.by_id = {obj.pk: obj for obj in found}

    def get(self, given):
        if isinstance(given, str):
            return self.by_code.get(given)
        return self.by_id.get(given.pk)


def action_years(action: OperationalAction) -> tuple[int, int]:
    """The years an action reports for (the grid's periods, the checker's year rule)."""
    plan = action.plan
    start = action.start.year if action.start else plan.start_year
    end = action.end.year if action.end else plan.end_year
    return start, max(start, end)


def _existing(keys: set[tuple]) -> dict[tuple, dict[int | None, tuple[int, str]]]:
    """{(action, organisation, counter, year): {half_year: (entry id, status)}} in the database."""
    if not keys:
        return {}
    action_ids, organisation_ids, type_ids, years = (set(column) for column in zip(*keys, strict=True))
    found: dict[tuple, dict] = {}
    for pk, *key, half_year, status in (
        ResultEntry.objects.filter(
            action_id__in=action_ids,
            organisation_id__in=organisation_ids,
            result_type_id__in=type_ids,
            year__in=years,
        )
        .order_by()
        .values_list("pk", "action_id", "organisation_id", "result_type_id", "year", "half_year", "status")
    ):
        if tuple(key) in keys:
            found.setdefault(tuple(key), {})[half_year] = (pk, status)
    return found


def _who(by) -> set[int] | None:
    """The organisations `by` may record for (None: any); refuses a role that records nothing."""
    if by is None or by.is_superuser:
        return None
    if not access.role_allows(by, "add", ResultEntry):
        raise Refused("Your role does not allow you to record results.")
    organisation = access.organisation_of(by)
    return {organisation.pk} if organisation is not None else set()


def check_new_entries(*, by, rows: Sequence, name_row: Callable[[int], str] | None = None) -> list[Checked]:
    """Every rule for new entries (see the module); raises `RowErrors` naming every bad row.

    `name_row(index)` says how the caller's user names a row in messages ("row 7" of a
    spreadsheet, "results[5]" of a request); by default "row <index + 1>".

    Call inside a transaction: it holds the rows' organisations and years (`oap.db`) before it
    reads the locked years and the existing entries, so what it allowed is still true at commit.
    """
    reporting_for = _who(by)
    parsed_rows, problems = [], {}
    for index, row in enumerate(rows):
        parsed, problems[index] = parse_row(row)
        parsed_rows.append(parsed)
    resolved = _resolve(by, parsed_rows, problems, reporting_for)
    db.hold_organisations({r.organisation.pk for r in resolved})
    db.hold_years({r.parsed["year"] for r in resolved})
    _check_against_the_database(resolved, problems, name_row or (lambda i: f"row {i + 1}"))
    problems = {index: found for index, found in problems.items() if found}
    if problems:
        raise RowErrors(problems, total=len(rows))
    return [
        Checked(
            r.action,
            r.organisation,
            r.counter,
            r.parsed["year"],
            r.parsed["half_year"],
            r.parsed["value"],
            r.parsed["comment"],
        )
        for r in resolved
    ]


class _Resolved(NamedTuple):
    index: int
    action: OperationalAction
    organisation: Organisation
    counter: ResultType
    parsed: dict


def _resolve(by, parsed_rows: list[dict], problems: dict, reporting_for) -> list[_Resolved]:
    """The rows whose action, organisation and counter exist (the action visible to `by`) and that
    `by` may write — who first: nothing more is said about a row the user may not write."""
    actions = OperationalAction.objects.select_related("plan")
    if by is not None:
        actions = access.restrict(actions, by, "view")
    indexes = {
        "action": (_Index(OperationalAction, actions, parsed_rows, "action"), "operational action"),
        "organisation": (
            _Index(Organisation, Organisation.objects.all(), parsed_rows, "organisation"),
            "organisation",
        ),
        "result_type": (
            _Index(ResultType, ResultType.objects.all(), parsed_rows, "result_type"),
            "result type",
        ),
    }
    resolved = []
    for index, parsed in enumerate(parsed_rows):
        found, objects = problems[index], {}
        for field, (known, label) in indexes.items():
            given = parsed.get(field)
            objects[field] = known.get(given) if field in parsed else None
            if field in parsed and objects[field] is None:
                code = given if isinstance(given, str) else given.code
                found.append(
                    Problem(
                        field,
                        f"No {label} with code {code!r}.",
                        "invalid" if isinstance(given, str) else "hidden",
                    )
                )
        action, organisation, counter = objects["action"], objects["organisation"], objects["result_type"]
        if organisation is not None and reporting_for is not None and organisation.pk not in reporting_for:
            found.append(
                Problem("organisation", "You may record results only for your own organisation.", "forbidden")
            )
            continue
        if counter is not None and "value" in parsed:
            try:
                parsed["value"] = clean_value(parsed["value"], counter)
            except ValidationError as error:
                found += [Problem("value", message) for message in error.message_dict["value"]]
        if all(o is not None for o in objects.values()) and "year" in parsed and "half_year" in parsed:
            resolved.append(_Resolved(index, action, organisation, counter, parsed))
    return resolved


def _check_against_the_database(resolved: list[_Resolved], problems: dict, name_row) -> None:
    """Taking part, the year open and within the action, the period free: against what is stored
    (read after the organisations and years are held) and the other rows."""
    taking_part = set(
        Participation.objects.filter(
            action_id__in={r.action.pk for r in resolved},
            organisation_id__in={r.organisation.pk for r in resolved},
        )
        .order_by()
        .values_list("action_id", "organisation_id")
    )
    locked = locked_messages()
    existing = _existing({(r.action.pk, r.organisation.pk, r.counter.pk, r.parsed["year"]) for r in resolved})
    in_rows: dict[tuple, dict[int | None, int]] = {}  # key → {half_year: row index}
    for index, action, organisation, counter, parsed in resolved:
        found = problems[index]
        year, half_year = parsed["year"], parsed["half_year"]
        first, last = action_years(action)
        if (action.pk, organisation.pk) not in taking_part:
            found.append(Problem("organisation", f"{organisation.code} does not take part in {action.code}."))
        elif year in locked:
            found.append(Problem("year", locked[year], "conflict"))
        elif not first <= year <= last:
            span = str(first) if first == last else f"{first} to {last}"
            found.append(Problem("year", f"{action.code} runs {span}: give a year in that range."))
        else:
            found += _period_problems(
                (action, organisation, counter, year, half_year), index, existing, in_rows, name_row
            )


def _period_problems(row, index, existing, in_rows, name_row) -> list[Problem]:
    """No period twice, and never a whole-year figure beside half-year figures (database, rows)."""
    action, organisation, counter, year, half_year = row
    key = (action.pk, organisation.pk, counter.pk, year)
    stored = existing.get(key, {})
    given = in_rows.setdefault(key, {})
    what = f"{organisation.code} · {counter.code} · {action.code}"
    if half_year in stored:
        pk, _ = stored[half_year]
        return [
            Problem(
                "result_type",
                f"{what} is already reported for {period_label(year, half_year)} (entry {pk}); "
                "change that entry instead.",
                "conflict",
                pk,
            )
        ]
    if half_year in given:
        return [Problem("result_type", f"The same period is given again in {name_row(given[half_year])}.")]
    others = [h for h in (*stored, *given) if (h is None) != (half_year is None)]
    if others:
        pk = next((stored[h][0] for h in others if h in stored), None)
        if half_year is None:
            message = (
                f"{what} {year} is reported by half-year already; a whole-year figure beside them "
                "would count twice. Give the half-years, or delete them first."
            )
        else:
            message = (
                f"{what} {year} is reported for the whole year already; a half-year figure beside it "
                "would count twice. Change the whole-year figure, or delete it first."
            )
        return [Problem("half_year", message, "conflict" if pk else "invalid", pk)]
    given[half_year] = index
    return []


def check_change(*, entry: ResultEntry, value=None, comment=None) -> tuple[Decimal, str]:
    """A new value and comment for an existing (open) entry: the value and text rules."""
    errors = {}
    new_value, new_comment = entry.value, entry.comment
    if value is not None:
        try:
            new_value = clean_value(value, entry.result_type)
        except ValidationError as error:
            errors.update(error.message_dict)
    if comment is not None:
        try:
            new_comment = clean_text(comment, "comment")
        except ValidationError as error:
            errors.update(error.message_dict)
    if errors:
        raise ValidationError(errors)
    return new_value, new_comment


class WrittenEntries(Sequence):
    """The entries `write_entries` stored, in the order of its rows, each built when first read:
    an import of 50 000 rows asks only how many, an API bulk their ids, `result_record` its one."""

    def __init__(self, columns: list[str]):
        self._columns, self._rows, self._given, self._built = columns, [], [], {}

    def _add(self, rows: list[dict], given: Sequence[Checked]) -> None:
        self._rows += rows
        self._given += given

    def __len__(self) -> int:
        return len(self._rows)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        index = range(len(self))[index]  # negative indexes; IndexError past the end
        if index not in self._built:
            row, given = self._rows[index], self._given[index]
            entry = ResultEntry(*(row[name] for name in self._columns))  # positional: no field lookups
            entry._state.adding = False
            entry._state.fields_cache.update(
                action=given.action, organisation=given.organisation, result_type=given.result_type
            )
            self._built[index] = entry
        return self._built[index]


def write_entries(
    checked: Sequence[Checked], by, on_progress: Callable[[int, int], None] | None = None
) -> WrittenEntries:
    """Store checked rows as drafts with their "+" history records, in batches; the entries.

    The entries and their history rows (as django-simple-history's `bulk_create_with_history`
    writes them) go in with `db.insert_rows`: COPY on PostgreSQL.
    """
    history = ResultEntry.history.model
    columns = [field.attname for field in ResultEntry._meta.concrete_fields]
    written = [name for name in columns if name != "id"]
    tracked = [field.attname for field in history.tracked_fields]
    entry_values, history_values = itemgetter(*written), itemgetter(*tracked)
    saved, user = WrittenEntries(columns), acting(by)
    batch = 10_000  # rows per COPY or INSERT batch: a few MB of memory, under the databases' limits
    for start in range(0, len(checked), batch):
        now, given = timezone.now(), checked[start : start + batch]
        rows = [_draft(row, user, now) for row in given]
        keys = db.insert_rows(ResultEntry, written, [entry_values(row) for row in rows], returning=True)
        for row, key in zip(rows, keys, strict=True):
            row["id"] = key
        db.insert_rows(
            history,
            [*tracked, "history_date", "history_user_id", "history_change_reason", "history_type"],
            [(*history_values(row), now, row["entered_by_id"], None, "+") for row in rows],
        )
        saved._add(rows, given)
        if on_progress is not None:
            on_progress(len(saved), len(checked))
    return saved


def _draft(row: Checked, user, now) -> dict:
    """A new draft entry's columns (by attname)."""
    return {
        "id": None,
        "action_id": row.action.pk,
        "organisation_id": row.organisation.pk,
        "result_type_id": row.result_type.pk,
        "year": row.year,
        "half_year": row.half_year,
        "value": row.value,
        "status": EntryStatus.DRAFT.value,
        "comment": row.comment,
        "return_reason": "",
        "entered_by_id": user.pk if user is not None else None,
        "entered_at": now,
        "submitted_at": None,
        "validated_by_id": None,
        "validated_at": None,
        "updated_at": now,
    }
