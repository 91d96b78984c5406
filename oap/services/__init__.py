"""Every write with a business rule goes through a service here (keyword-only, atomic).

- `actions` — operational actions and their participants (the one leader rule);
- `results` — result entries: record one or many, change, delete, and the workflow steps;
- `checks` — THE row checker every path that writes entries uses;
- `years` — locking and unlocking reporting years.

Who may do each thing is decided by `oap.access`; the refusals are those of `base`.
"""

from .actions import (
    action_create,
    action_set_participants,
    action_update,
    check_action,
    check_participants,
    participation_remove,
    participation_save,
)
from .base import Conflict, Hidden, Refused
from .checks import MAX_TEXT, RowErrors, check_new_entries
from .fields import clean_year
from .results import (
    MAX_BULK_ROWS,
    refusal,
    result_delete,
    result_record,
    result_return,
    result_step,
    result_submit,
    result_update,
    result_validate,
    results_record_bulk,
    results_save_period,
)
from .years import locked_message, year_lock, year_lock_preview, year_unlock

__all__ = [
    "MAX_BULK_ROWS",
    "MAX_TEXT",
    "Conflict",
    "Hidden",
    "Refused",
    "RowErrors",
    "action_create",
    "action_set_participants",
    "action_update",
    "check_action",
    "check_new_entries",
    "check_participants",
    "clean_year",
    "locked_message",
    "participation_remove",
    "participation_save",
    "refusal",
    "result_delete",
    "result_record",
    "result_return",
    "result_step",
    "result_submit",
    "result_update",
    "result_validate",
    "results_record_bulk",
    "results_save_period",
    "year_lock",
    "year_lock_preview",
    "year_unlock",
]
