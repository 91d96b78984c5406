"""The entry fields, one at a time: the rules of the row checker (`checks`) that need no other row.

Every path reads figures and texts through these: `clean_value` (units: whole counts, at most
3 decimals, a maximum per unit, never negative; the typed decimal separator read by
`oap.formats.parse_decimal`) and `clean_text` (comments and return reasons).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import NamedTuple

from django.core.exceptions import ValidationError
from django.db import models

from ..choices import ResultUnit
from ..formats import NumberFormatError, number, parse_decimal
from ..models import MAX_YEAR, MIN_YEAR, OperationalAction, Organisation, ResultType

ENTRY_FIELDS = ("action", "organisation", "result_type", "year", "half_year", "value", "comment")
#: comments and return reasons
MAX_TEXT = 2000


class Problem(NamedTuple):
    field: str
    message: str
    kind: str = "invalid"  # invalid | forbidden | hidden | conflict
    existing: int | None = None  # the entry already holding the place (a duplicate)


class UnitRule(NamedTuple):
    decimals: int  # at most this many decimals
    maximum: Decimal  # at most this value in one entry


UNIT_RULES = {
    ResultUnit.COUNT: UnitRule(0, Decimal(1_000_000)),
    ResultUnit.ROUNDS: UnitRule(0, Decimal(1_000_000_000)),
    ResultUnit.UNITS: UnitRule(0, Decimal(10_000_000_000)),
    ResultUnit.EUR: UnitRule(3, Decimal(1_000_000_000_000)),
    ResultUnit.KG: UnitRule(3, Decimal(10_000_000)),
    ResultUnit.TONNES: UnitRule(3, Decimal(100_000)),
    ResultUnit.LITRES: UnitRule(3, Decimal(1_000_000_000)),
}


def clean_text(raw, field: str) -> str:
    """A comment or reason: text without NUL characters, at most MAX_TEXT characters."""
    if raw is None:
        return ""
    if not isinstance(raw, str):
        raise ValidationError({field: "Give it as text."})
    if "\x00" in raw:
        raise ValidationError({field: "Null characters are not allowed."})
    if len(raw) > MAX_TEXT:
        raise ValidationError({field: f"At most {MAX_TEXT} characters; this one has {len(raw)}."})
    return raw


def clean_value(raw, result_type: ResultType | None = None) -> Decimal:
    """A figure: a number, never negative, within its unit's decimals and maximum."""
    if raw is None or raw == "" or isinstance(raw, bool):
        raise ValidationError({"value": "This field is required: a number, 0 or more."})
    try:
        value = parse_decimal(raw)
    except NumberFormatError as error:
        raise ValidationError({"value": str(error)}) from error
    if not value.is_finite():
        raise ValidationError({"value": "This field is required: a number, 0 or more."})
    if value < 0:
        raise ValidationError({"value": "Values are never negative."})
    if result_type is None:
        return value
    rule = UNIT_RULES.get(result_type.unit, UnitRule(3, Decimal(10**12)))
    # the maximum first: rounding a huge figure (1e308) overflows Decimal's precision
    if value > rule.maximum:
        raise ValidationError(
            {
                "value": f"{number(value, result_type.unit)} is more than one entry of {result_type.name} "
                f"can hold (at most {number(rule.maximum, result_type.unit)}); check the unit "
                f"({result_type.get_unit_display()})."
            }
        )
    if value != round(value, rule.decimals):
        if rule.decimals == 0:
            raise ValidationError(
                {"value": f"{result_type.name} is counted in whole numbers; {value} is not one."}
            )
        raise ValidationError(
            {
                "value": f"Give at most {rule.decimals} decimals for {result_type.get_unit_display()}; "
                f"{value} has more."
            }
        )
    return value


def clean_year(raw) -> int:
    """A reporting year from MIN_YEAR to MAX_YEAR, from a number or its text."""
    if isinstance(raw, bool) or raw in (None, ""):
        raise ValidationError({"year": "This field is required: a year such as 2024."})
    try:
        year = int(str(raw).strip())
    except ValueError as error:
        raise ValidationError({"year": "Give a year such as 2024."}) from error
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise ValidationError({"year": f"Give a year from {MIN_YEAR} to {MAX_YEAR}."})
    return year


def _half_year(raw) -> int | None:
    if raw is None or raw == "":
        return None
    if not isinstance(raw, bool) and str(raw).strip() in ("1", "2"):
        return int(str(raw).strip())
    raise ValidationError(
        {"half_year": "Give 1 (January–June), 2 (July–December) or nothing for the whole year."}
    )


def _reference(raw, field: str, model: type[models.Model]):
    """A model instance as given, or a code: stripped text."""
    if isinstance(raw, model):
        return raw
    if raw is None or raw == "":
        raise ValidationError({field: "This field is required (a code)."})
    if not isinstance(raw, str):
        raise ValidationError({field: "Give the code as text."})
    if "\x00" in raw:
        raise ValidationError({field: "Null characters are not allowed."})
    return raw.strip()


_READERS: dict[str, Callable] = {
    "action": lambda raw: _reference(raw, "action", OperationalAction),
    "organisation": lambda raw: _reference(raw, "organisation", Organisation),
    "result_type": lambda raw: _reference(raw, "result_type", ResultType),
    "year": clean_year,
    "half_year": _half_year,
    "value": clean_value,
    "comment": lambda raw: clean_text(raw, "comment"),
}


def parse_row(row) -> tuple[dict, list[Problem]]:
    """The row's fields read one by one (relations still codes or instances), and its problems."""
    if not isinstance(row, Mapping):
        return {}, [Problem("non_field_errors", "Each row must be an object with the entry's fields.")]
    parsed: dict = {}
    problems = [
        Problem(name, f"Unknown or read-only field; a result is written with: {', '.join(ENTRY_FIELDS)}.")
        for name in sorted(set(row) - set(ENTRY_FIELDS))
    ]
    for name, read in _READERS.items():
        try:
            parsed[name] = read(row.get(name))
        except ValidationError as error:
            problems += [Problem(name, message) for message in error.message_dict[name]]
    return parsed, problems
