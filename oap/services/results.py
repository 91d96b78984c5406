"""Result entries: record (one or many), change, delete, and the steps of `oap.workflow`.

Every new figure passes the one row checker (`checks.check_new_entries`), every changed value
`checks.check_change`; every step is refused the same way (`refusal`): hidden → 404, locked year or
wrong state → 409 (`Conflict`, naming the current state), not the user's to take → 403.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import NamedTuple

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from .. import access, db, events
from ..choices import EntryStatus
from ..formats import NumberFormatError, parse_decimal
from ..models import OperationalAction, Organisation, ResultEntry, ResultType
from ..workflow import OPEN, STEPS, Step, state_refusal
from .base import Conflict, Hidden, Refused, acting, save
from .checks import Problem, RowErrors, check_change, check_new_entries, clean_text, write_entries
from .years import locked_message

MAX_BULK_ROWS = 5000


def _single(error: RowErrors) -> Exception:
    """The one row's problems as the error one entry answers with (404, 403, 400, 409)."""
    problems = error.problems[0]
    for kind in ("hidden", "forbidden"):
        for problem in problems:
            if problem.kind == kind:
                return (Hidden if kind == "hidden" else Refused)(
                    problem.message, **({} if kind == "hidden" else {"field": problem.field})
                )
    invalid = [p for p in problems if p.kind == "invalid"]
    if invalid:
        return ValidationError({p.field: p.message for p in invalid})
    conflict = problems[0]
    existing = ResultEntry.objects.filter(pk=conflict.existing).first() if conflict.existing else None
    return Conflict({conflict.field: conflict.message}, existing=existing)


@transaction.atomic
def result_record(
    *,
    by,
    action: OperationalAction,
    organisation: Organisation,
    result_type: ResultType,
    year: int,
    value: Decimal | int | str,
    half_year: int | None = None,
    comment: str = "",
) -> ResultEntry:
    """Record a draft figure for one organisation, counter and period of an action."""
    row = {
        "action": action,
        "organisation": organisation,
        "result_type": result_type,
        "year": year,
        "half_year": half_year,
        "value": value,
        "comment": comment,
    }
    try:
        checked = check_new_entries(by=by, rows=[row])
    except RowErrors as error:
        raise _single(error) from error
    return write_entries(checked, by)[0]


@transaction.atomic
def results_record_bulk(
    *,
    by,
    rows: list,
    max_rows: int = MAX_BULK_ROWS,
    on_progress: Callable[[int, int], None] | None = None,
    dry_run: bool = False,
    name_row: Callable[[int], str] | None = None,
) -> Sequence[ResultEntry]:
    """Record many draft entries at once: all or nothing, every bad row reported with its fields.

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
    checked = check_new_entries(by=by, rows=rows, name_row=name_row or (lambda index: f"results[{index}]"))
    if dry_run:
        return [ResultEntry(**vars(row)) for row in checked]
    return write_entries(checked, by, on_progress)


# --- the steps --------------------------------------------------------------------------------


def _who_refusal(by, entry: ResultEntry, step: Step) -> str:
    organisation = access.organisation_of(by)
    if step.permission != "validate":
        return (
            f"Only the organisation that reported this entry ({entry.organisation.code}) changes, "
            "deletes or submits it."
        )
    if not access.role_allows(by, "validate", ResultEntry):
        return "Your role does not allow you to validate or return results."
    if organisation is not None and organisation.pk == entry.organisation_id:
        return (
            f"{organisation.code} reported this figure, so another organisation validates it: the "
            f"leader of {entry.action.code}, a driver of its plan, or the EMPACT support hub."
        )
    return (
        f"Only the leader of {entry.action.code}, the drivers of its plan and the EMPACT support hub "
        f"validate or return its results."
    )


def refusal(by, entry: ResultEntry, step_name: str) -> Exception | None:
    """Why `by` may not take the step on `entry` now (the exception to raise), or None.

    In this order: hidden (404), locked year or the entry's state (409), who (403).
    """
    step = STEPS[step_name]
    if by is not None and not access.can(by, "view", entry):
        return Hidden("Result entry not found.")
    locked = locked_message(entry.year)
    if locked:
        return Conflict({"year": locked})
    wrong_state = state_refusal(entry.status, step)
    if wrong_state:
        return Conflict({"status": wrong_state})
    if by is not None and not access.can(by, step.permission, entry):
        return Refused(_who_refusal(by, entry, step))
    return None


def _take(entry: ResultEntry, by, step_name: str) -> ResultEntry:
    """The entry locked for the step (its year held against a lock), or the step's refusal."""
    db.hold_years([entry.year])
    entry = (
        ResultEntry.objects.select_for_update(of=("self",))
        .select_related("action", "organisation", "result_type")
        .get(pk=entry.pk)
    )
    error = refusal(by, entry, step_name)
    if error is not None:
        raise error
    return entry


@transaction.atomic
def result_update(*, entry: ResultEntry, by, value=None, comment: str | None = None) -> ResultEntry:
    """Change the figure or comment of an open (draft or returned) entry."""
    entry = _take(entry, by, "change")
    entry.value, entry.comment = check_change(entry=entry, value=value, comment=comment)
    save(entry, by)
    return entry


@transaction.atomic
def result_delete(*, entry: ResultEntry, by) -> None:
    entry = _take(entry, by, "delete")
    if acting(by) is not None:
        entry._history_user = by
    entry.delete()


@transaction.atomic
def result_submit(*, entry: ResultEntry, by) -> ResultEntry:
    """Send a draft or returned entry for validation."""
    entry = _take(entry, by, "submit")
    entry.status = EntryStatus.SUBMITTED
    entry.submitted_at = timezone.now()
    entry.return_reason = ""
    save(entry, by)
    events.entry_changed(events.ENTRY_SUBMITTED, entry, by=by)  # in this transaction
    return entry


@transaction.atomic
def result_validate(*, entry: ResultEntry, by) -> ResultEntry:
    """Accept a submitted entry: it then counts in the factsheets and can no longer change."""
    entry = _take(entry, by, "validate")
    entry.status = EntryStatus.VALIDATED
    entry.validated_by = acting(by)
    entry.validated_at = timezone.now()
    save(entry, by)
    events.entry_changed(events.ENTRY_VALIDATED, entry, by=by)  # in this transaction
    return entry


@transaction.atomic
def result_return(*, entry: ResultEntry, by, reason: str) -> ResultEntry:
    """Send a submitted (or validated) entry back to its organisation, saying why."""
    reason = clean_text(reason, "reason").strip()
    if not reason:
        raise ValidationError(
            {"reason": "Say why the entry is returned, so its organisation can correct it."}
        )
    entry = _take(entry, by, "return")
    entry.status = EntryStatus.RETURNED
    entry.return_reason = reason
    entry.validated_by = None
    entry.validated_at = None
    save(entry, by)
    events.entry_changed(events.ENTRY_RETURNED, entry, by=by)  # in this transaction
    return entry


STEP_SERVICES = {"submit": result_submit, "validate": result_validate, "return": result_return}


def result_step(*, entry: ResultEntry, by, step: str, reason: str = "") -> ResultEntry:
    """Take a workflow step by name (the admin's buttons, bulk actions)."""
    if step == "return":
        return result_return(entry=entry, by=by, reason=reason)
    return STEP_SERVICES[step](entry=entry, by=by)


# --- one action's figures for one period at once (the results grid) -------------------------


class PeriodSaved(NamedTuple):
    created: int
    updated: int
    deleted: int
    submitted: int


@transaction.atomic
def results_save_period(
    *,
    by,
    action: OperationalAction,
    organisation: Organisation,
    year: int,
    half_year: int | None,
    figures: Mapping[str, object],
    comments: Mapping[str, str] | None = None,
    submit: bool = False,
) -> PeriodSaved:
    """Save an organisation's figures of one action and period: all or nothing.

    `figures` maps counter codes to what was typed: a new value records a draft, a changed value
    changes the open entry, an empty one deletes the open entry; submitted and validated entries
    cannot change here. With `submit`, every open entry of the period is then submitted.
    Problems are raised as `RowErrors` whose rows are the indexes of the codes in `figures`.
    """
    period = {"action": action, "organisation": organisation, "year": year, "half_year": half_year}
    plan = _plan_period(by, period, figures, comments or {})
    for entry, value, comment in plan.changes:
        result_update(entry=entry, by=by, value=value, comment=comment)
    for entry in plan.removals:
        result_delete(entry=entry, by=by)
    write_entries(plan.new, by)
    submitted = 0
    if submit:
        for entry in ResultEntry.objects.filter(**period, status__in=OPEN):
            result_submit(entry=entry, by=by)
            submitted += 1
    return PeriodSaved(len(plan.new), len(plan.changes), len(plan.removals), submitted)


class _PeriodPlan(NamedTuple):
    new: list  # checked rows to write
    changes: list  # (entry, value, comment)
    removals: list  # entries


def _plan_period(by, period: dict, figures: Mapping, comments: Mapping) -> _PeriodPlan:
    """What saving `figures` would do, every rule checked first; `RowErrors` when any row is wrong."""
    codes = list(figures)
    existing = {
        entry.result_type.code: entry
        for entry in ResultEntry.objects.filter(**period).select_related(
            "action", "organisation", "result_type"
        )
    }
    problems: dict[int, list[Problem]] = {}
    new_rows, new_index, changes, removals = [], [], [], []
    for index, code in enumerate(codes):
        raw, comment, entry = figures[code], comments.get(code), existing.get(code)
        blank = raw is None or (isinstance(raw, str) and not raw.strip())
        if entry is None:
            if not blank:
                new_index.append(index)
                new_rows.append({**period, "result_type": code, "value": raw, "comment": comment or ""})
            continue
        if not blank and _same(raw, entry.value) and comment in (None, entry.comment):
            continue  # unchanged
        error = refusal(by, entry, "delete" if blank else "change")
        if error is not None:
            problems[index] = [Problem("value", " ".join(getattr(error, "messages", [str(error)])))]
        elif blank:
            removals.append(entry)
        else:
            try:
                changes.append((entry, *check_change(entry=entry, value=raw, comment=comment)))
            except ValidationError as invalid:
                problems[index] = [Problem(f, m) for f, ms in invalid.message_dict.items() for m in ms]
    checked = []
    if new_rows:
        try:
            checked = check_new_entries(by=by, rows=new_rows, name_row=lambda i: codes[new_index[i]])
        except RowErrors as error:
            problems.update({new_index[i]: found for i, found in error.problems.items()})
    if problems:
        raise RowErrors(problems, total=len(codes))
    return _PeriodPlan(checked, changes, removals)


def _same(raw, value: Decimal) -> bool:
    try:
        return parse_decimal(raw) == value
    except NumberFormatError:
        return False
