"""Numbers in and out: the one formatter for people, the plain form for files, the one parser.

- `number(value, unit)` — for people (titles, messages, dashboards, lists, action pages, the
  factsheet): counts without decimals, amounts trimmed to what they hold, thousands separated by
  a narrow no-break space (`13 871`, `1 250.5 kg`, `EUR 180 436 512`).
- `plain(value)` — for machines (CSV cells, the API): plain decimal notation, never an exponent
  (`80`, not `8E+1`; `1250.5`, not `1250.500`).
- `parse_decimal(text)` — what a person typed: a point or a comma as the decimal separator when
  that is unambiguous (`1250,5` is 1250.5), thousands separated by spaces, or by commas or points
  beside the other separator (`1,250.5`, `1.250,5`); `1,250` could be either and is refused with a
  message that names the value. Never a silent reinterpretation.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation, localcontext

#: U+202F NARROW NO-BREAK SPACE: the thousands separator of every number shown to people
THOUSANDS = "\u202f"

#: units shown before the value (EUR 1 000) rather than after it (1 000 kg)
_PREFIX_UNITS = {"eur": "EUR"}
_UNIT_LABELS = {"count": "", "kg": "kg", "t": "t", "l": "l", "rounds": "rounds", "units": "units"}


def _decimal(value) -> Decimal:
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        return Decimal(repr(value))
    return Decimal(value)


def plain(value) -> str:
    """Plain decimal notation without trailing zeros: `80`, `1250.5`, `0.001`, `0`."""
    if value is None:
        return ""
    number = _decimal(value)
    if number == number.to_integral_value():
        return f"{number.quantize(Decimal(1)):f}"
    return f"{number.normalize():f}"


def number(value, unit: str | None = None) -> str:
    """A value for people: thousands separated, no trailing zeros, with its unit when given.

    Counts (`unit` "count" or None with a whole value) show no decimals; amounts keep what they
    hold, up to three decimals.
    """
    if value is None:
        return "–"
    value = _decimal(value)
    with localcontext() as context:  # every digit of a huge figure (1E+308) kept, never an overflow
        context.prec = max(context.prec, value.adjusted() + 5)
        text = plain(value.quantize(Decimal("0.001")) if unit != "count" else round(value))
    whole, _, fraction = text.partition(".")
    sign = "−" if whole.startswith("-") else ""
    whole = whole.lstrip("-")
    groups = []
    while len(whole) > 3:
        whole, group = whole[:-3], whole[-3:]
        groups.insert(0, group)
    shown = sign + THOUSANDS.join([whole, *groups]) + (f".{fraction}" if fraction else "")
    if unit in _PREFIX_UNITS:
        return f"{_PREFIX_UNITS[unit]}\u00a0{shown}"
    label = _UNIT_LABELS.get(unit or "", unit or "")
    return f"{shown}\u00a0{label}" if label else shown


def percent(change) -> str:
    """A change ratio (0.398) for people: `+39.8 %`; `–` when there is none."""
    if change is None:
        return "–"
    value = _decimal(change) * 100
    text = plain(value.quantize(Decimal("0.1")))
    sign = "+" if value > 0 else ("−" if value < 0 else "")
    return f"{sign}{text.lstrip('-')}\u00a0%"


class NumberFormatError(ValueError):
    """Typed text that is not a number, or whose separators could mean two numbers."""


_SPACES = re.compile(r"[\s\u00a0\u202f\u2009']")
_DIGITS = re.compile(r"[0-9]+")


def parse_decimal(text) -> Decimal:
    """The number a person typed, or `NumberFormatError` saying why it is not one.

    Accepted: `1250.5`, `1250,5`, `1 250,5`, `1,250.5`, `1.250,5`, `-3`, `1e3` is not (people do
    not type exponents). Refused as ambiguous: one comma or point followed by exactly three digits
    and preceded by 1–3 digits, when the other separator is absent — `1,250` — because it reads
    1250 in English and 1.25 in Spanish. `1.250` is the exception: a point is always this
    service's decimal point, so `1.250` is 1.25 (as the API and the import read it).
    """
    if isinstance(text, (int, Decimal)) and not isinstance(text, bool):
        return Decimal(text)
    if isinstance(text, float):
        return Decimal(repr(text))
    if not isinstance(text, str):
        raise NumberFormatError(f"{text!r} is not a number.")
    raw = text.strip()
    compact = _SPACES.sub("", raw)
    if not compact:
        raise NumberFormatError("Give a number.")
    sign = ""
    if compact[0] in "+-−":
        sign = "-" if compact[0] in "-−" else ""
        compact = compact[1:]
    if not compact or not re.fullmatch(r"[0-9.,]+", compact) or not compact[0].isdigit():
        raise NumberFormatError(f"“{raw}” is not a number: give digits with one decimal separator.")
    commas, points = compact.count(","), compact.count(".")
    if commas and points:
        # both: the last one is the decimal separator, the other groups thousands
        decimal_mark = "," if compact.rfind(",") > compact.rfind(".") else "."
        group_mark = "." if decimal_mark == "," else ","
        whole, _, fraction = compact.rpartition(decimal_mark)
        if compact.count(decimal_mark) > 1 or not _grouped(whole, group_mark):
            raise NumberFormatError(f"“{raw}” mixes separators in a way that could mean two numbers.")
        digits = whole.replace(group_mark, "") + "." + fraction
    elif commas:
        parts = compact.split(",")
        if commas > 1:
            if not _grouped(compact, ","):
                raise NumberFormatError(f"“{raw}” is not a number: commas only group thousands.")
            digits = compact.replace(",", "")
        elif len(parts[1]) == 3 and 1 <= len(parts[0]) <= 3 and parts[0] != "0":
            whole, fraction = parts[0] + parts[1], parts[0] + "." + (parts[1].rstrip("0") or "0")
            raise NumberFormatError(
                f"“{raw}” could be {whole} or {fraction}: write it without a thousands separator "
                f"({whole}), or with a single point or comma before the decimals ({fraction})."
            )
        else:
            digits = parts[0] + "." + parts[1]
    elif points > 1:
        if not _grouped(compact, "."):
            raise NumberFormatError(f"“{raw}” is not a number: points only group thousands.")
        digits = compact.replace(".", "")
    else:
        digits = compact
    if digits.endswith("."):
        raise NumberFormatError(f"“{raw}” ends with a separator: give the decimals or leave it out.")
    try:
        return Decimal(sign + digits)
    except InvalidOperation as error:
        raise NumberFormatError(f"“{raw}” is not a number.") from error


def _grouped(whole: str, mark: str) -> bool:
    """Whether `whole` is digits grouped by threes with `mark` (`1.250.000`, `12,500`)."""
    groups = whole.split(mark)
    return (
        all(_DIGITS.fullmatch(g) for g in groups)
        and 1 <= len(groups[0]) <= 3
        and all(len(g) == 3 for g in groups[1:])
    )


def json_number(value) -> int | float | None:
    """A figure as a JSON number, the one convention of the API and the factsheets: whole values as
    integers, others as decimals rounded to 3 places (exact for up to 15 significant digits)."""
    if value is None:
        return None
    value = _decimal(value)
    try:
        whole = int(value)  # cheaper than comparing with to_integral_value() (a page holds ~1 000)
    except ValueError:  # NaN: as any other non-whole value
        return float(round(value, 3))
    if whole == value:
        return whole
    return float(round(value, 3))
