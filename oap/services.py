"""Every write with a business rule goes through a service here (keyword-only, atomic).

Who may do each thing is decided by `oap.access`; the services ask it and refuse with:
- `Hidden` (a `ObjectDoesNotExist`) when the user may not even see the object — a 404;
- `PermissionDenied` when they see it but may not do this — a 403;
- `ValidationError` naming the field and the rule when the data breaks a rule — a 400.
Every save records the acting user in the audit trail (django-simple-history).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from decimal import Decimal

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from . import access
from .choices import ActionStatus, EntryStatus, HalfYear, HandlingLevel, ParticipationRole
from .models import (
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


def _clean_row(row: dict) -> tuple[dict, dict[str, list[str]]]:
    """Type-check one row's plain fields; codes are resolved set-wise by the caller."""
    from decimal import InvalidOperation

    from .models import MAX_YEAR, MIN_YEAR

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


@transaction.atomic
def results_record_bulk(
    *,
    by: User | None,
    rows: list[dict],
    max_rows: int = MAX_BULK_ROWS,
    on_progress: Callable[[int, int], None] | None = None,
    dry_run: bool = False,
) -> list[ResultEntry]:
    """Record many draft entries at once: all or nothing, every bad row reported with its fields.

    The same rules as `result_record`, checked set-wise (a constant number of queries whatever
    the number of rows): codes must exist and be visible to the user, the organisation must take
    part in the action and be the user's own, the year open, no period reported twice.
    """
    from simple_history.utils import bulk_create_with_history

    if not isinstance(rows, list):
        raise ValidationError({"results": "Send a list of results."})
    if len(rows) > max_rows:
        raise ValidationError(
            {"results": f"At most {max_rows} results per request; this one has {len(rows)}."}
        )
    if not rows:
        raise ValidationError({"results": "Send at least one result."})
    cleaned = [_clean_row(row) for row in rows]
    errors = {index: row_errors for index, (_, row_errors) in enumerate(cleaned) if row_errors}

    def codes(name):
        return {clean[name] for clean, _ in cleaned if name in clean}

    actions = OperationalAction.objects.filter(code__in=codes("action"))
    if by is not None:
        actions = access.restrict(actions, by, "view")
    actions = {a.code: a for a in actions.only("pk", "code")}
    organisations = {o.code: o for o in Organisation.objects.filter(code__in=codes("organisation"))}
    result_types = {t.code: t for t in ResultType.objects.filter(code__in=codes("result_type"))}
    taking_part = set(
        Participation.objects.filter(action_id__in=[a.pk for a in actions.values()]).values_list(
            "action_id", "organisation_id"
        )
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
            year__in={clean["year"] for clean, _ in cleaned if "year" in clean},
        ).values_list("action_id", "organisation_id", "result_type_id", "year", "half_year")
    )
    seen: dict[tuple, int] = {}
    entries: list[ResultEntry] = []
    now_user = by if by is not None and by.is_authenticated else None
    for index, (clean, row_errors) in enumerate(cleaned):
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
        if problems:
            errors[index] = problems
            continue
        entries.append(
            ResultEntry(
                action=action,
                organisation=organisation,
                result_type=result_type,
                year=year,
                half_year=clean["half_year"],
                value=clean["value"],
                comment=clean["comment"],
                status=EntryStatus.DRAFT,
                entered_by=now_user,
            )
        )
    if errors:
        raise RowErrors(errors, total=len(rows))
    if dry_run:
        return entries  # checked, not saved
    if _copy_entries_with_history(entries, now_user, on_progress):
        return entries
    created: list[ResultEntry] = []
    batch = 2000  # rows per INSERT: a few MB of parameters, well under PostgreSQL's limits
    for start in range(0, len(entries), batch):
        created += bulk_create_with_history(
            entries[start : start + batch], ResultEntry, default_user=now_user
        )
        if on_progress is not None:
            on_progress(len(created), len(entries))
    return created


def _copy_entries_with_history(
    entries: list[ResultEntry], user: User | None, on_progress: Callable[[int, int], None] | None
) -> bool:
    """Insert new entries and their "+" history records with PostgreSQL COPY; False elsewhere.

    The same rows `bulk_create_with_history` writes (ids from the table's sequence, set on the
    instances; entered/updated now; history by `user`, change reason ""), without the ORM's
    per-row, per-field preparation: the bulk path's cost was mostly Python, not the database.
    """
    from django.db import connection

    history = ResultEntry.history.model
    fields = ResultEntry._meta.concrete_fields
    names = {f.attname for f in fields}
    extra = {"history_id", "history_date", "history_change_reason", "history_type", "history_user_id"}
    history_fields = [f for f in history._meta.concrete_fields if f.attname != "history_id"]
    if (
        connection.vendor != "postgresql"
        or not entries
        or any(f.attname not in names | extra for f in history_fields)
    ):
        return False
    now = timezone.now()
    table = ResultEntry._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [table, len(entries)],
        )
        for entry, (pk,) in zip(entries, cursor.fetchall(), strict=True):
            entry.pk = pk
            entry.entered_at = entry.updated_at = now
            entry._state.adding = False
        history_values = {
            "history_date": now,
            "history_change_reason": "",
            "history_type": "+",
            "history_user_id": user.pk if user is not None else None,
        }
        attnames = [f.attname for f in fields]
        history_names = [f.attname for f in history_fields]
        batch = 5000
        for start in range(0, len(entries), batch):
            chunk = entries[start : start + batch]
            rows = [[entry.__dict__[name] for name in attnames] for entry in chunk]
            with cursor.cursor.copy(
                f"COPY {table} ({', '.join(connection.ops.quote_name(f.column) for f in fields)}) FROM STDIN"
            ) as copy:
                for row in rows:
                    copy.write_row(row)
            with cursor.cursor.copy(
                f"COPY {history._meta.db_table} "
                f"({', '.join(connection.ops.quote_name(f.column) for f in history_fields)}) FROM STDIN"
            ) as copy:
                for entry in chunk:
                    values = entry.__dict__
                    copy.write_row(
                        [
                            history_values[name] if name in history_values else values[name]
                            for name in history_names
                        ]
                    )
            if on_progress is not None:
                on_progress(start + len(chunk), len(entries))
    return True
