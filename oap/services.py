"""Every write with a business rule goes through a service here (keyword-only, atomic).

Who may do each thing is decided by `oap.access`; the services ask it and refuse with:
- `Hidden` (a `ObjectDoesNotExist`) when the user may not even see the object — a 404;
- `PermissionDenied` when they see it but may not do this — a 403;
- `ValidationError` naming the field and the rule when the data breaks a rule — a 400.
Every save records the acting user in the audit trail (django-simple-history).
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from decimal import Decimal
from itertools import repeat
from typing import NamedTuple

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from . import access
from .choices import ActionStatus, EntryStatus, HalfYear, HandlingLevel, ParticipationRole
from .models import (
    MAX_YEAR,
    MIN_YEAR,
    CommonHorizontalStrategicGoal,
    OperationalAction,
    OperationalActionPlan,
    Organisation,
    Participation,
    ResultEntry,
    ResultType,
    User,
    YearLock,
)

LEADER_REQUIRED = "An operational action needs exactly one leader."


class Hidden(ObjectDoesNotExist):
    """The object is not visible to the user: answer as if it did not exist."""


class Frozen(ValidationError):
    """The entry's state (or its locked year) does not allow this change now: a conflict, not bad input."""


class Refused(PermissionDenied):
    """Not allowed, with the field the refusal is about (for errors that name the field)."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.field = field


def _save(instance, by: User | None, **kwargs) -> None:
    """Save and name the acting user in the history record."""
    if by is not None and by.is_authenticated:
        instance._history_user = by
    instance.save(**kwargs)


def _require(user: User | None, action: str, obj, message: str) -> None:
    if user is None:  # system writes (management commands loading reference data)
        return
    if not access.can(user, "view", obj):
        raise Hidden(f"{obj._meta.verbose_name.capitalize()} not found.")
    if not access.can(user, action, obj):
        raise PermissionDenied(message)


# --- operational actions -------------------------------------------------------------------


@transaction.atomic
def action_create(
    *,
    plan: OperationalActionPlan,
    code: str,
    title: str,
    leader: Organisation | None,
    co_leaders: Iterable[Organisation] = (),
    participants: Iterable[Organisation] = (),
    description: str = "",
    status: str = ActionStatus.PLANNED,
    handling: str = HandlingLevel.EU,
    start: datetime.date | None = None,
    end: datetime.date | None = None,
    chsgs: Iterable[CommonHorizontalStrategicGoal] = (),
    by: User | None = None,
) -> OperationalAction:
    """Create an operational action together with its leader and other participants.

    The database allows at most one leader per action; this service guarantees at least one,
    so an action is never created without somebody answerable for it.
    """
    if by is not None and not access.plans_open_for_actions(by).filter(pk=plan.pk).exists():
        raise PermissionDenied(
            f"Only the drivers and co-drivers of {plan.code} and the EMPACT support hub add actions to it."
        )
    if leader is None:
        raise ValidationError({"leader": LEADER_REQUIRED})
    roles: dict[int, tuple[Organisation, str]] = {leader.pk: (leader, ParticipationRole.LEADER)}
    for role, organisations in (
        (ParticipationRole.CO_LEADER, co_leaders),
        (ParticipationRole.PARTICIPANT, participants),
    ):
        for organisation in organisations:
            if organisation.pk in roles:
                raise ValidationError(
                    {"participants": f"{organisation.code} is listed more than once; give it one role."}
                )
            roles[organisation.pk] = (organisation, role)
    action = OperationalAction(
        plan=plan,
        code=code,
        title=title,
        description=description,
        status=status,
        handling=handling,
        start=start,
        end=end,
    )
    action.full_clean()
    _save(action, by)
    for organisation, role in roles.values():
        _save(Participation(action=action, organisation=organisation, role=role), by)
    if chsgs:
        action.chsgs.set(chsgs)
    return action


@transaction.atomic
def action_update(*, action: OperationalAction, by: User | None, **fields) -> OperationalAction:
    """Change an action's own fields (not its code's plan): its leader, drivers or the hub."""
    _require(by, "change", action, "Only the action's leader, the plan's drivers and the hub change it.")
    chsgs = fields.pop("chsgs", None)
    for name, value in fields.items():
        setattr(action, name, value)
    action.full_clean()
    _save(action, by)
    if chsgs is not None:
        action.chsgs.set(chsgs)
    return action


def check_one_leader(roles: Iterable[str]) -> None:
    """Raise unless exactly one of `roles` is the leader's (for forms editing all participants)."""
    if sum(1 for role in roles if role == ParticipationRole.LEADER) != 1:
        raise ValidationError(LEADER_REQUIRED)


# --- result entries ------------------------------------------------------------------------


def year_is_locked(year: int) -> bool:
    return YearLock.objects.filter(year=year).exists()


def _locked_message(year: int) -> str:
    return (
        f"Year {year} is locked: its results are frozen (a factsheet was published). "
        "The EMPACT support team (hub) must unlock the year before anything changes."
    )


def entry_frozen_reason(entry: ResultEntry) -> str | None:
    """Why an entry cannot change any more, in words for people; None when it still can."""
    if year_is_locked(entry.year):
        return _locked_message(entry.year)
    if entry.status == EntryStatus.VALIDATED:
        return (
            "This entry is validated and can no longer change. Ask the action leader, a plan driver "
            "or the hub to return it if it needs a correction."
        )
    if entry.status == EntryStatus.SUBMITTED:
        return "This entry is submitted and waits for validation; it can change once it is returned."
    return None


def _require_entry_open(entry: ResultEntry, by: User | None, action: str = "change") -> None:
    if by is not None and not access.can(by, "view", entry):
        raise Hidden("Result entry not found.")
    reason = entry_frozen_reason(entry)
    if reason:
        raise Frozen({"status": reason})
    if by is not None and not access.can(by, action, entry):
        raise PermissionDenied("Only the organisation that reported this entry may change or submit it.")


def result_record_check(
    *,
    by: User | None,
    action: OperationalAction,
    organisation: Organisation,
    year: int,
) -> None:
    """Raise unless `by` may record a figure for `organisation` in `action` for `year`.

    Shared by `result_record` and by forms that want to report the problem on the field.
    """
    if by is not None and not access.can(by, "view", action):
        raise Hidden("Operational action not found.")
    if not Participation.objects.filter(action=action, organisation=organisation).exists():
        raise ValidationError({"organisation": f"{organisation.code} does not take part in {action.code}."})
    if by is not None and not access.can_record_result(by, action=action, organisation=organisation):
        raise Refused(
            "Coordinators record results for their own organisation, in actions it takes part in.",
            field="organisation",
        )
    if year_is_locked(year):
        raise Frozen({"year": _locked_message(year)})


@transaction.atomic
def result_record(
    *,
    by: User | None,
    action: OperationalAction,
    organisation: Organisation,
    result_type: ResultType,
    year: int,
    value: Decimal | int | str,
    half_year: int | None = None,
    comment: str = "",
) -> ResultEntry:
    """Record a draft figure for one organisation, counter and period of an action."""
    result_record_check(by=by, action=action, organisation=organisation, year=year)
    entry = ResultEntry(
        action=action,
        organisation=organisation,
        result_type=result_type,
        year=year,
        half_year=half_year,
        value=value,
        comment=comment,
        status=EntryStatus.DRAFT,
        entered_by=by if by is not None and by.is_authenticated else None,
    )
    entry.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            _save(entry, by)
    except IntegrityError as error:
        raise ValidationError(
            {
                "result_type": f"{organisation.code} already reported {result_type.code} in {action.code} "
                "for this period; change that entry instead."
            }
        ) from error
    return entry


@transaction.atomic
def result_update(
    *, entry: ResultEntry, by: User | None, value=None, comment: str | None = None
) -> ResultEntry:
    """Change the figure of an open (draft or returned) entry."""
    entry = ResultEntry.objects.select_for_update().get(pk=entry.pk)
    _require_entry_open(entry, by)
    if value is not None:
        entry.value = value
    if comment is not None:
        entry.comment = comment
    entry.full_clean()
    _save(entry, by)
    return entry


@transaction.atomic
def result_delete(*, entry: ResultEntry, by: User | None) -> None:
    entry = ResultEntry.objects.select_for_update().get(pk=entry.pk)
    _require_entry_open(entry, by, "delete")
    if by is not None:
        entry._history_user = by
    entry.delete()


@transaction.atomic
def result_submit(*, entry: ResultEntry, by: User | None) -> ResultEntry:
    """Send a draft or returned entry for validation."""
    entry = ResultEntry.objects.select_for_update().get(pk=entry.pk)
    _require_entry_open(entry, by, "submit")
    entry.status = EntryStatus.SUBMITTED
    entry.submitted_at = timezone.now()
    entry.return_reason = ""
    _save(entry, by)
    return entry


def _require_reviewer(entry: ResultEntry, by: User | None, verb: str) -> None:
    if by is not None and not access.can(by, "view", entry):
        raise Hidden("Result entry not found.")
    if year_is_locked(entry.year):
        raise Frozen({"year": _locked_message(entry.year)})
    if by is not None and not access.can(by, "validate", entry):
        if access.role_allows(by, "validate", ResultEntry) and access.can(by, "view", entry):
            raise PermissionDenied(
                f"Only the action leader, the plan's drivers and the hub {verb} results of {entry.action.code}."
            )
        raise PermissionDenied(f"Your role does not allow you to {verb} results.")


@transaction.atomic
def result_validate(*, entry: ResultEntry, by: User | None) -> ResultEntry:
    """Accept a submitted entry: it then counts in the factsheets and can no longer change."""
    entry = ResultEntry.objects.select_for_update().get(pk=entry.pk)
    _require_reviewer(entry, by, "validate")
    if entry.status != EntryStatus.SUBMITTED:
        raise ValidationError(
            {"status": f"Only submitted entries can be validated; this one is {entry.status}."}
        )
    entry.status = EntryStatus.VALIDATED
    entry.validated_by = by if by is not None and by.is_authenticated else None
    entry.validated_at = timezone.now()
    _save(entry, by)
    return entry


@transaction.atomic
def result_return(*, entry: ResultEntry, by: User | None, reason: str) -> ResultEntry:
    """Send a submitted (or validated) entry back to its organisation, saying why."""
    entry = ResultEntry.objects.select_for_update().get(pk=entry.pk)
    _require_reviewer(entry, by, "return")
    if not (reason or "").strip():
        raise ValidationError(
            {"reason": "Say why the entry is returned, so its organisation can correct it."}
        )
    if entry.status not in (EntryStatus.SUBMITTED, EntryStatus.VALIDATED):
        raise Frozen(
            {"status": f"Only submitted or validated entries can be returned; this one is {entry.status}."}
        )
    entry.status = EntryStatus.RETURNED
    entry.return_reason = reason.strip()
    entry.validated_by = None
    entry.validated_at = None
    _save(entry, by)
    return entry


# --- reporting years ----------------------------------------------------------------------


@transaction.atomic
def year_lock(*, year: int, by: User | None, reason: str = "") -> YearLock:
    """Freeze a reporting year: no entry of it may change until the hub unlocks it."""
    if by is not None and not access.can_manage_years(by):
        raise PermissionDenied("Only the EMPACT support team (hub) locks reporting years.")
    lock = YearLock.objects.filter(year=year).first()
    if lock is not None:
        return lock
    lock = YearLock(
        year=year, reason=reason, locked_by=by if by is not None and by.is_authenticated else None
    )
    lock.full_clean()
    _save(lock, by)
    return lock


@transaction.atomic
def year_unlock(*, year: int, by: User | None) -> None:
    if by is not None and not (access.can_manage_years(by) and access.role_allows(by, "delete", YearLock)):
        raise PermissionDenied("Only the EMPACT support team (hub) unlocks reporting years.")
    for lock in YearLock.objects.filter(year=year):
        if by is not None:
            lock._history_user = by
        lock.delete()


# --- many entries at once (API bulk requests, spreadsheet imports) --------------------------

MAX_BULK_ROWS = 5000
ENTRY_FIELDS = ("action", "organisation", "result_type", "year", "half_year", "value", "comment")
HALF_YEAR_VALUES = tuple(HalfYear.values)  # `HalfYear.values` builds a new list at every access


class RowErrors(ValidationError):
    """Some rows are invalid; `rows` maps each bad row's index to {field: [messages]}."""

    def __init__(self, rows: dict[int, dict[str, list[str]]], total: int):
        self.rows = dict(sorted(rows.items()))
        count = len(self.rows)
        super().__init__(f"{count} of {total} rows are invalid; nothing was saved.")


class RecordedResult(NamedTuple):
    """One entry recorded by `results_record_bulk` (`id` None on a dry run): its fields as stored.

    Not a model instance: building 50 000 of those cost more than writing them. Every entry is a
    draft entered by the user who called, at the same moment; read the database for the rest.
    """

    id: int | None
    action_id: int
    organisation_id: int
    result_type_id: int
    year: int
    half_year: int | None
    value: Decimal
    comment: str

    @property
    def pk(self) -> int | None:
        return self.id


class RecordedResults(Sequence[RecordedResult]):
    """The entries `results_record_bulk` recorded, in the order of its rows; `ids` lists their ids.

    Each `RecordedResult` is built when read: the spreadsheet import only counts them, and tens of
    thousands of objects nobody reads cost more time (and garbage collection) than writing them.
    """

    __slots__ = ("_columns", "ids")

    def __init__(self, ids: list[int] | list[None], columns: list[list]):
        self.ids = ids
        self._columns = columns  # action_id, organisation_id, result_type_id, year, half_year, value, comment

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        action_id, organisation_id, result_type_id, year, half_year, value, comment = (
            column[index] for column in self._columns
        )
        return RecordedResult(
            self.ids[index],
            action_id,
            organisation_id,
            result_type_id,
            year,
            half_year,
            Decimal(value),
            comment,
        )

    def __iter__(self) -> Iterator[RecordedResult]:
        for pk, action_id, organisation_id, result_type_id, year, half_year, value, comment in zip(
            self.ids, *self._columns, strict=True
        ):
            yield RecordedResult(
                pk, action_id, organisation_id, result_type_id, year, half_year, Decimal(value), comment
            )

    def __repr__(self) -> str:
        return f"<RecordedResults: {len(self)} entries>"


class _Unclean:
    """A row with errors: what `_clean_row` made of it (the fields it could read) and the errors."""

    __slots__ = ("clean", "errors")

    def __init__(self, clean: dict, errors: dict[str, list[str]]):
        self.clean, self.errors = clean, errors


#: a clean row: (action, organisation, result_type, year, half_year, value, comment), where the
#: codes are stripped and the value is plain decimal text (the form COPY takes)
CleanRow = tuple[str, str, str, int, int | None, str, str]
_ENTRY_FIELD_SET = frozenset(ENTRY_FIELDS)
_YEARS = {year: year for year in range(MIN_YEAR, MAX_YEAR + 1)} | {
    str(year): year for year in range(MIN_YEAR, MAX_YEAR + 1)
}
_HALF_YEARS = (
    {None: None, "": None} | {h: h for h in HALF_YEAR_VALUES} | {str(h): h for h in HALF_YEAR_VALUES}
)
#: values that always pass the rules, written as `format(Decimal(value), "f")` writes them
_PLAIN_VALUE = re.compile(r"(?:0|[1-9][0-9]{0,14})(?:\.[0-9]{1,3})?").fullmatch
_NOT_GIVEN = object()


def _plain_row(row) -> CleanRow | None:
    """The clean form of a row that plainly passes every rule of `_clean_row`; None when in doubt.

    The common case without exceptions or Decimal arithmetic; `_clean_row` decides the rest (and
    words the errors), so both always agree.
    """
    if type(row) is not dict or not row.keys() <= _ENTRY_FIELD_SET:
        return None
    action, organisation, result_type = row.get("action"), row.get("organisation"), row.get("result_type")
    for code in (action, organisation, result_type):
        if type(code) is not str or not code or "\x00" in code:
            return None
    year = row.get("year")
    if type(year) is not int and type(year) is not str:  # not bool, float, Decimal, ...
        return None
    year = _YEARS.get(year)
    half_year = row.get("half_year")
    if year is None or (half_year is not None and type(half_year) is not int and type(half_year) is not str):
        return None
    half_year = _HALF_YEARS.get(half_year, _NOT_GIVEN)
    value = row.get("value")
    if type(value) is str:
        if _PLAIN_VALUE(value) is None:
            return None
    elif type(value) is int and 0 <= value < 10**15:
        value = str(value)
    else:
        return None
    comment = row.get("comment", "")
    if comment is None:
        comment = ""
    elif type(comment) is not str or "\x00" in comment:
        return None
    if half_year is _NOT_GIVEN:
        return None
    return (action.strip(), organisation.strip(), result_type.strip(), year, half_year, value, comment)


def _clean_row(row: dict) -> tuple[dict, dict[str, list[str]]]:
    """Type-check one row's plain fields; codes are resolved set-wise by the caller."""
    from decimal import InvalidOperation

    errors: dict[str, list[str]] = {}
    clean: dict = {}
    if not isinstance(row, dict):
        return clean, {"non_field_errors": ["Each row must be an object with the entry's fields."]}
    unknown = sorted(set(row) - set(ENTRY_FIELDS))
    for name in unknown:
        errors[name] = [f"Unknown or read-only field; a result is written with: {', '.join(ENTRY_FIELDS)}."]
    for name in ("action", "organisation", "result_type"):
        value = row.get(name)
        if value in (None, ""):
            errors[name] = ["This field is required (a code)."]
        elif not isinstance(value, str):
            errors[name] = ["Give the code as text."]
        elif "\x00" in value:
            errors[name] = ["Null characters are not allowed."]
        else:
            clean[name] = value.strip()
    year = row.get("year")
    try:
        year = int(year)
        if isinstance(row.get("year"), bool) or str(row.get("year")).strip() != str(year):
            raise ValueError
        if not MIN_YEAR <= year <= MAX_YEAR:
            errors["year"] = [f"Give a year from {MIN_YEAR} to {MAX_YEAR}."]
        clean["year"] = year
    except (TypeError, ValueError):
        errors["year"] = ["This field is required: a year such as 2023."]
    half_year = row.get("half_year")
    if half_year in (None, ""):
        clean["half_year"] = None
    elif (half_year in HALF_YEAR_VALUES and not isinstance(half_year, bool)) or str(half_year) in ("1", "2"):
        clean["half_year"] = int(half_year)
    else:
        errors["half_year"] = ["Give 1 (January–June), 2 (July–December) or nothing for the whole year."]
    value = row.get("value")
    try:
        if value in (None, "") or isinstance(value, bool):
            raise InvalidOperation
        number = Decimal(str(value).strip())
        if not number.is_finite():
            raise InvalidOperation
        if number < 0:
            errors["value"] = ["Values are never negative."]
        elif number.as_tuple().exponent < -3 or number >= Decimal(10) ** 15:
            errors["value"] = ["Give at most 15 digits before and 3 after the decimal point."]
        clean["value"] = number
    except (InvalidOperation, ValueError, TypeError):
        errors["value"] = ["This field is required: a number, 0 or more."]
    comment = row.get("comment", "")
    if comment is None:
        comment = ""
    if not isinstance(comment, str):
        errors["comment"] = ["Give the comment as text."]
    elif "\x00" in comment:
        errors["comment"] = ["Null characters are not allowed."]
    clean["comment"] = comment if isinstance(comment, str) else ""
    return clean, errors


def _clean_rows(rows: list) -> list[CleanRow | _Unclean]:
    """Each row's clean tuple, or an `_Unclean` with its errors: the plain rows fast, the rest fully."""
    cleaned: list[CleanRow | _Unclean] = []
    for row in rows:
        plain = _plain_row(row)
        if plain is None:
            clean, errors = _clean_row(row)
            if errors:
                cleaned.append(_Unclean(clean, errors))
                continue
            plain = (
                clean["action"],
                clean["organisation"],
                clean["result_type"],
                clean["year"],
                clean["half_year"],
                format(clean["value"], "f"),  # "1E+2" → "100": plain text for COPY
                clean["comment"],
            )
        cleaned.append(plain)
    return cleaned


def _plain_columns(rows: list) -> list[list] | None:
    """When every row is plain (see `_plain_row`), their clean fields as 7 columns; else None.

    The same checks as `_plain_row`, a column at a time with C loops rather than a Python one, and
    the value checks on the distinct values only (after the type checks on the whole column, as
    2024 == 2024.0 == True + 2023): the usual file or request, all good and alike, in milliseconds.
    """
    if set(map(type, rows)) != {dict} or not set().union(*rows) <= _ENTRY_FIELD_SET:
        return None
    columns = []
    for name in ("action", "organisation", "result_type"):
        codes = list(map(dict.get, rows, repeat(name)))
        if set(map(type, codes)) != {str}:
            return None
        distinct = set(codes)
        if "" in distinct or "\x00" in "".join(distinct):
            return None
        stripped = {code: code.strip() for code in distinct}
        columns.append(list(map(stripped.__getitem__, codes)))
    years = list(map(dict.get, rows, repeat("year")))
    if not set(map(type, years)) <= {int, str} or not set(years) <= _YEARS.keys():
        return None
    columns.append(list(map(_YEARS.__getitem__, years)))
    half_years = list(map(dict.get, rows, repeat("half_year")))
    if not set(map(type, half_years)) <= {int, str, type(None)} or not set(half_years) <= _HALF_YEARS.keys():
        return None
    columns.append(list(map(_HALF_YEARS.__getitem__, half_years)))
    values = list(map(dict.get, rows, repeat("value")))
    kinds = set(map(type, values))
    if kinds == {str}:
        if not all(map(_PLAIN_VALUE, set(values))):
            return None
    elif kinds == {int} and min(values) >= 0 and max(values) < 10**15:
        values = list(map(str, values))
    else:
        return None
    columns.append(values)
    comments = list(map(dict.get, rows, repeat("comment"), repeat("")))
    kinds = set(map(type, comments))
    if type(None) in kinds:
        comments = ["" if comment is None else comment for comment in comments]
        kinds.discard(type(None))
    if not kinds <= {str} or "\x00" in "".join(set(comments)):
        return None
    columns.append(comments)
    return columns


class _Known(NamedTuple):
    """What a bulk's rows are checked against, read set-wise from the database."""

    actions: dict[str, OperationalAction]  # by code, those the user sees
    organisations: dict[str, Organisation]
    result_types: dict[str, ResultType]
    taking_part: set[tuple[int, int]]  # (action_id, organisation_id)
    locked: set[int]  # years
    reporting_for: set[int] | None  # organisation ids; None: any
    existing: set[tuple]  # (action_id, organisation_id, result_type_id, year, half_year)


def _known(by: User | None, actions: set, organisations: set, result_types: set, years: set) -> _Known:
    """Read what the rows refer to (a constant number of queries); refuse a role that may not record."""
    visible = OperationalAction.objects.filter(code__in=actions)
    if by is not None:
        visible = access.restrict(visible, by, "view")
    actions = {a.code: a for a in visible.only("pk", "code")}
    organisations = {o.code: o for o in Organisation.objects.filter(code__in=organisations)}
    result_types = {t.code: t for t in ResultType.objects.filter(code__in=result_types)}
    taking_part = set(
        Participation.objects.filter(
            action_id__in=[a.pk for a in actions.values()],
            organisation_id__in=[o.pk for o in organisations.values()],
        )
        .order_by()  # a set: no joins for the default ordering
        .values_list("action_id", "organisation_id")
    )
    locked = set(YearLock.objects.values_list("year", flat=True))
    reporting_for = None
    if by is not None and not by.is_superuser:
        reporting_for = set(access.organisations_reporting_for(by).values_list("pk", flat=True))
        if not access.role_allows(by, "add", ResultEntry):
            raise PermissionDenied("Your role does not allow you to record results.")
    existing = set(
        ResultEntry.objects.filter(
            action_id__in=[a.pk for a in actions.values()],
            organisation_id__in=[o.pk for o in organisations.values()],
            result_type_id__in=[t.pk for t in result_types.values()],
            year__in=years,
        )
        .order_by()
        .values_list("action_id", "organisation_id", "result_type_id", "year", "half_year")
    )
    return _Known(actions, organisations, result_types, taking_part, locked, reporting_for, existing)


def _check_columns(columns: list[list], known: _Known) -> list[list] | None:
    """The columns to write when every row passes every check of `_check_rows`; else None."""
    codes, organisation_codes, result_type_codes, years, half_years, values, comments = columns
    ids = []
    for column, objects in (
        (codes, known.actions),
        (organisation_codes, known.organisations),
        (result_type_codes, known.result_types),
    ):
        if not set(column) <= objects.keys():
            return None
        ids.append(list(map({code: obj.pk for code, obj in objects.items()}.__getitem__, column)))
    action_ids, organisation_ids, result_type_ids = ids
    if not set(zip(action_ids, organisation_ids, strict=True)) <= known.taking_part:
        return None
    if known.reporting_for is not None and not set(organisation_ids) <= known.reporting_for:
        return None
    if not known.locked.isdisjoint(years):
        return None
    # no period twice, in the file or in the database: compared by hash (ints, not 50 000 tuples
    # kept for the garbage collector to walk); a collision only sends the rows to `_check_rows`
    keys = set(map(hash, zip(action_ids, organisation_ids, result_type_ids, years, half_years, strict=True)))
    if len(keys) != len(years) or not keys.isdisjoint(map(hash, known.existing)):
        return None
    return [action_ids, organisation_ids, result_type_ids, years, half_years, values, comments]


def _check_rows(cleaned: list[CleanRow | _Unclean], known: _Known) -> tuple[list[tuple], dict[int, dict]]:
    """Check each row against the database: (the rows to write, {index: {field: [messages]}})."""
    actions, organisations, result_types, taking_part, locked, reporting_for, existing = known
    action_ids = {code: a.pk for code, a in actions.items()}
    organisation_ids = {code: o.pk for code, o in organisations.items()}
    result_type_ids = {code: t.pk for code, t in result_types.items()}
    seen: dict[tuple, int] = {}
    errors: dict[int, dict[str, list[str]]] = {}
    #: the rows to write, as (action_id, organisation_id, result_type_id, year, half_year, value, comment)
    valid: list[tuple] = []
    for index, item in enumerate(cleaned):
        if type(item) is tuple:  # the common case first: every check passes
            code, organisation_code, result_type_code, year, half_year, value, comment = item
            action_id = action_ids.get(code)
            organisation_id = organisation_ids.get(organisation_code)
            result_type_id = result_type_ids.get(result_type_code)
            if (
                action_id is not None
                and organisation_id is not None
                and result_type_id is not None
                and (action_id, organisation_id) in taking_part
                and (reporting_for is None or organisation_id in reporting_for)
                and year not in locked
            ):
                key = (action_id, organisation_id, result_type_id, year, half_year)
                if key not in existing and key not in seen:
                    seen[key] = index
                    valid.append((*key, value, comment))
                    continue
            clean = dict(
                zip(("action", "organisation", "result_type", "year", "half_year"), item[:5], strict=True)
            )
            row_errors = {}
        else:
            clean, row_errors = item.clean, item.errors
        # something is wrong with this row: say what, in the words of each rule
        problems = {k: list(v) for k, v in row_errors.items()}
        action = actions.get(clean.get("action"))
        organisation = organisations.get(clean.get("organisation"))
        result_type = result_types.get(clean.get("result_type"))
        if "action" in clean and action is None:
            problems.setdefault("action", []).append(f"No operational action with code {clean['action']!r}.")
        if "organisation" in clean and organisation is None:
            problems.setdefault("organisation", []).append(
                f"No organisation with code {clean['organisation']!r}."
            )
        if "result_type" in clean and result_type is None:
            problems.setdefault("result_type", []).append(
                f"No result type with code {clean['result_type']!r}."
            )
        if action and organisation:
            if (action.pk, organisation.pk) not in taking_part:
                problems.setdefault("organisation", []).append(
                    f"{organisation.code} does not take part in {action.code}."
                )
            elif reporting_for is not None and organisation.pk not in reporting_for:
                problems.setdefault("organisation", []).append(
                    "You may record results only for your own organisation."
                )
        year = clean.get("year")
        if year in locked:
            problems.setdefault("year", []).append(_locked_message(year))
        if action and organisation and result_type and year is not None and "half_year" in clean:
            key = (action.pk, organisation.pk, result_type.pk, year, clean["half_year"])
            if key in existing:
                problems.setdefault("result_type", []).append(
                    f"{organisation.code} already reported {result_type.code} in {action.code} for this period."
                )
            elif key in seen:
                problems.setdefault("result_type", []).append(
                    f"The same period is given again in row {seen[key]}."
                )
            else:
                seen[key] = index
        errors[index] = problems  # never empty: each check the common case failed names its rule
    return valid, errors


@transaction.atomic
def results_record_bulk(
    *,
    by: User | None,
    rows: list[dict],
    max_rows: int = MAX_BULK_ROWS,
    on_progress: Callable[[int, int], None] | None = None,
    dry_run: bool = False,
) -> RecordedResults:
    """Record many draft entries at once: all or nothing, every bad row reported with its fields.

    The same rules as `result_record`, checked set-wise (a constant number of queries whatever
    the number of rows): codes must exist and be visible to the user, the organisation must take
    part in the action and be the user's own, the year open, no period reported twice.
    Returns the recorded entries in the order of `rows` (not saved, without ids, on a dry run).
    """
    if not isinstance(rows, list):
        raise ValidationError({"results": "Send a list of results."})
    if len(rows) > max_rows:
        raise ValidationError(
            {"results": f"At most {max_rows} results per request; this one has {len(rows)}."}
        )
    if not rows:
        raise ValidationError({"results": "Send at least one result."})
    # the usual case, all rows plain and good, column-wise; anything else (and every error) row-wise
    columns = _plain_columns(rows)
    if columns is not None:  # codes: the action, organisation, result type codes and years named
        cleaned = None
        codes = [set(column) for column in columns[:4]]
    else:
        cleaned = _clean_rows(rows)
        codes = [{item[i] for item in cleaned if type(item) is tuple} for i in range(4)]
        for item in cleaned:
            if type(item) is _Unclean:
                for i, name in enumerate(("action", "organisation", "result_type", "year")):
                    if name in item.clean:
                        codes[i].add(item.clean[name])
    known = _known(by, *codes)
    valid = _check_columns(columns, known) if columns is not None else None
    if valid is None:
        checked, errors = _check_rows(cleaned or list(zip(*columns, strict=True)), known)
        if errors:
            raise RowErrors(errors, total=len(rows))
        valid = [list(column) for column in zip(*checked, strict=True)]
    if dry_run:  # checked, not saved
        return RecordedResults([None] * len(rows), valid)
    user = by if by is not None and by.is_authenticated else None
    ids = _copy_entries_with_history(valid, user, on_progress)
    if ids is None:
        ids = _create_entries_with_history(valid, user, on_progress)
    return RecordedResults(ids, valid)


def _create_entries_with_history(
    valid: list[list], user: User | None, on_progress: Callable[[int, int], None] | None
) -> list[int]:
    """Insert the entries (`valid`: the columns of `RecordedResults`) and their "+" history
    records through the ORM (any database); their ids."""
    from simple_history.utils import bulk_create_with_history

    ids: list[int] = []
    total = len(valid[0])
    batch = 2000  # rows per INSERT: a few MB of parameters, well under PostgreSQL's limits
    for start in range(0, total, batch):
        entries = [
            ResultEntry(
                action_id=action_id,
                organisation_id=organisation_id,
                result_type_id=result_type_id,
                year=year,
                half_year=half_year,
                value=Decimal(value),
                comment=comment,
                status=EntryStatus.DRAFT,
                entered_by=user,
            )
            for action_id, organisation_id, result_type_id, year, half_year, value, comment in zip(
                *(column[start : start + batch] for column in valid), strict=True
            )
        ]
        ids += [entry.pk for entry in bulk_create_with_history(entries, ResultEntry, default_user=user)]
        if on_progress is not None:
            on_progress(len(ids), total)
    return ids


#: the entry columns `_copy_entries_with_history` writes, in its COPY order (the id comes from the
#: table's sequence); a model with other fields takes the ORM's path
_COPY_FIELDS = (
    "action_id",
    "organisation_id",
    "result_type_id",
    "year",
    "half_year",
    "value",
    "comment",
    "status",
    "return_reason",
    "entered_by_id",
    "entered_at",
    "updated_at",
    "submitted_at",
    "validated_at",
    "validated_by_id",
)
#: COPY's text format: a backslash starts an escape, tab separates columns, newline ends a row
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_COPY_PLAIN = re.compile(r"[^\\\t\n\r]*").fullmatch
_COPY_HALF_YEARS = {None: "\\N"} | {h: str(h) for h in HALF_YEAR_VALUES}
_COPY_CHUNK = 5000  # rows per write: the server stores one chunk while Python formats the next


def _copy_entries_with_history(
    valid: list[list], user: User | None, on_progress: Callable[[int, int], None] | None
) -> list[int] | None:
    """Insert the entries (`valid`: the columns of `RecordedResults`) with PostgreSQL COPY, then
    their "+" history records; their ids. None on other databases, and for a model this does not
    know (the ORM's path then).

    The same rows `bulk_create_with_history` writes (ids from the table's sequence; entered and
    updated now; history records dated now, by `user`, no change reason), without a model
    instance per row: Python formats the COPY text while the server stores the previous chunk,
    and the server copies the new rows into the history table itself (INSERT … SELECT).

    The new rows are found without sending ids back and forth: they are the rows of this
    (sub)transaction (their `xmin`) with an id above a value this session drew from the
    sequence just before the COPY and at most the last one COPY drew (`currval`). Their ids are
    a plain range unless another session drew from the sequence meanwhile (then they are read).
    """
    from django.conf import settings
    from django.db import connection

    history = ResultEntry.history.model
    entry_fields = {f.attname: f.column for f in ResultEntry._meta.concrete_fields}
    pk = ResultEntry._meta.pk
    history_fields = [f for f in history._meta.concrete_fields if f.attname != "history_id"]
    history_values = {  # the history record's own columns; the others are the entry's
        "history_date": "%(now)s",
        "history_change_reason": "NULL",  # as `bulk_create_with_history` and every save leave it
        "history_type": "'+'",
        "history_user_id": "%(user)s",
    }
    if (
        connection.vendor != "postgresql"
        or not valid[0]
        or set(entry_fields) != {pk.attname, *_COPY_FIELDS}
        or any(f.attname not in entry_fields and f.attname not in history_values for f in history_fields)
    ):
        return None
    quote = connection.ops.quote_name
    table, id_column = quote(ResultEntry._meta.db_table), quote(pk.column)
    sequence = "pg_get_serial_sequence(%(table)s, %(pk)s)"
    now = timezone.now()
    stamp = now.isoformat()
    # status, return_reason, entered_by_id, entered_at, updated_at, submitted_at, validated_at, validated_by_id
    user_id = "\\N" if user is None else str(user.pk)
    tail = f"\t{EntryStatus.DRAFT.value}\t\t{user_id}\t{stamp}\t{stamp}\t\\N\t\\N\t\\N\n"
    half_years, plain, escapes = _COPY_HALF_YEARS, _COPY_PLAIN, _COPY_ESCAPES
    total = len(valid[0])
    columns = ", ".join(quote(entry_fields[name]) for name in _COPY_FIELDS)
    last = f"(SELECT currval({sequence}))"
    ours = (
        f"{id_column} > %(floor)s AND {id_column} <= {last} "
        f"AND xmin = (SELECT xmin FROM {table} WHERE {id_column} = {last})"
    )
    if getattr(settings, "SIMPLE_HISTORY_ENABLED", True):
        history_columns = ", ".join(quote(f.column) for f in history_fields)
        selected = ", ".join(
            history_values.get(f.attname) or quote(entry_fields[f.attname]) for f in history_fields
        )
        new_rows = (
            f"INSERT INTO {quote(history._meta.db_table)} ({history_columns}) SELECT {selected} "
            f"FROM {table} WHERE {ours} ORDER BY {id_column}"
        )
    else:
        new_rows = f"SELECT count(*) FROM {table} WHERE {ours}"
    parameters = {
        "table": ResultEntry._meta.db_table,
        "pk": pk.column,
        "now": now,
        "user": user.pk if user is not None else None,
    }
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT nextval({sequence})", parameters)
        (parameters["floor"],) = cursor.fetchone()
        # (COPY goes to psycopg's own cursor: its errors made Django's, e.g. an IntegrityError)
        with (
            connection.wrap_database_errors,
            cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
        ):
            for start in range(0, total, _COPY_CHUNK):
                copy.write(
                    "".join(
                        [
                            f"{a}\t{o}\t{t}\t{y}\t{half_years[h]}\t{v}\t"
                            f"{c if plain(c) else c.translate(escapes)}{tail}"
                            for a, o, t, y, h, v, c in zip(
                                *(column[start : start + _COPY_CHUNK] for column in valid), strict=True
                            )
                        ]
                    )
                )
                if on_progress is not None:
                    on_progress(min(start + _COPY_CHUNK, total), total)
        cursor.execute(new_rows, parameters)
        count = cursor.rowcount if new_rows.startswith("INSERT") else cursor.fetchone()[0]
        if count != total:  # cannot happen; if it did, better no import than one without its history
            raise RuntimeError(f"COPY wrote {total} result entries but {count} were found again.")
        cursor.execute(f"SELECT {last}", parameters)
        (last_id,) = cursor.fetchone()
        if last_id - parameters["floor"] == total:  # the usual case: nobody else drew ids meanwhile
            return list(range(parameters["floor"] + 1, last_id + 1))
        cursor.execute(
            f"SELECT string_agg({id_column}::text, ',' ORDER BY {id_column}) FROM {table} WHERE {ours}",
            parameters,
        )
        return list(map(int, cursor.fetchone()[0].split(",")))
