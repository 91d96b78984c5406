"""The present's figures: the 2024–2025 and 2026–2027 actions' entries, and where each stands.

Every Member State and third country taking part in a present action reports each of its
counters (`counters` in demo_present.yaml): a whole-year figure for the years before
CURRENT_YEAR, half-year figures for CURRENT_YEAR — so one counter of one action, organisation and
year is either one whole-year figure or half-years, never both. Each period's figures follow the
usual course (`COURSE`) unless the file's `statuses` put a cell elsewhere.

The values are drawn from a fixed seed per entry (a typical figure, scaled by the organisation's
role and kind, and halved for a half-year), rounded as the row checker wants them: whole numbers
for counts, rounds, units and euros, at most 3 decimals for kg and tonnes. "Of which" figures
are a share of their parent's figure in the same cell and period, so never more.
"""

from __future__ import annotations

import datetime
import math
import random
from decimal import ROUND_HALF_EVEN, Decimal

from ..choices import EntryStatus, OrganisationKind, ParticipationRole, ResultUnit
from .base import CURRENT_YEAR, PRESENT_YEARS, REPORTING_KINDS, SEED, DemoEntry, EntryKey
from .files import DemoAction, StatusOverride

#: where a period's figures usually stand: 2024 and 2025 validated, this year's first half
#: submitted and waiting for validation, its second half being entered
COURSE: dict[tuple[int, int | None], str] = {
    (2024, None): EntryStatus.VALIDATED,
    (2025, None): EntryStatus.VALIDATED,
    (CURRENT_YEAR, 1): EntryStatus.SUBMITTED,
    (CURRENT_YEAR, 2): EntryStatus.DRAFT,
}

#: a typical whole-year figure of one participating Member State in one action
TYPICAL = {
    "arrests": 40,
    "victims_identified": 30,
    "investigations_initiated": 20,
    "suspects_identified": 55,
    "high_value_targets": 3,
    "assets_seized_eur": 2_400_000,
    "cocaine_kg": 1_500,
    "cannabis_kg": 1_800,
    "heroin_kg": 120,
    "synthetic_drugs_kg": 350,
    "precursors_kg": 900,
    "firearms_seized": 45,
    "ammunition_rounds": 6_000,
    "explosives_kg": 18,
    "forged_documents": 70,
    "illegal_entries_detected": 320,
    "waste_seized_t": 850,
    "cigarettes_units": 9_000_000,
    "checks_persons": 9_000,
    "checks_vehicles": 2_400,
    "checks_parcels": 1_300,
    "checks_premises": 180,
    "officers_deployed": 350,
}
#: "of which" counters: the share of their parent's figure (child-sexual-exploitation plans: most
#: victims identified are minors)
SHARE = {"migrant_smugglers_arrested": (0.4, 0.85), "minor_victims_identified": (0.1, 0.35)}
CSE_MINORS = (0.7, 0.95)
ROLE_FACTOR = {
    ParticipationRole.LEADER: 1.6,
    ParticipationRole.CO_LEADER: 1.25,
    ParticipationRole.PARTICIPANT: 1,
}
THIRD_COUNTRY_FACTOR = 0.6
#: decimals kept per unit (every other unit: whole numbers)
DECIMALS = {ResultUnit.KG: 3, ResultUnit.TONNES: 3}

Cell = tuple[str, str, int, int | None]  # (action, organisation, year, half-year)
#: the counter catalogue as the demo needs it: code → (unit, parent code or None)
Catalogue = dict[str, tuple[str, str | None]]


def periods(action: DemoAction) -> list[tuple[int, int | None]]:
    """The periods an action has figures for: whole years before CURRENT_YEAR, then its halves."""
    found: list[tuple[int, int | None]] = []
    for year in PRESENT_YEARS:
        if not action.reports_in(year):
            continue
        if year < CURRENT_YEAR:
            found.append((year, None))
            continue
        if action.start <= datetime.date(year, 6, 30):
            found.append((year, 1))
        if action.end >= datetime.date(year, 7, 1):
            found.append((year, 2))
    return found


def _cells(actions: list[DemoAction], kinds: dict[str, str]) -> dict[Cell, str]:
    """Every (action, reporting organisation, period), with its usual status."""
    cells = {}
    for action in actions:
        reporting = [org for org, _ in action.roles if kinds[org] in REPORTING_KINDS] or [action.leader]
        for year, half_year in periods(action):
            for org in reporting:
                cells[(action.code, org, year, half_year)] = COURSE[(year, half_year)]
    return cells


def _value(action: DemoAction, org: str, counter: str, period: tuple, unit: str, context: dict) -> Decimal:
    """One figure, drawn from its own seed; `context` holds the organisation's role and kind and,
    for an "of which" counter, the parent's figure."""
    year, half_year = period
    rng = random.Random(f"{SEED}:{action.code}:{org}:{counter}:{year}:{half_year}")
    if counter in SHARE:
        low, high = CSE_MINORS if action.plan.startswith("CSE") else SHARE[counter]
        raw = float(context["parent"]) * rng.uniform(low, high)
    else:
        raw = TYPICAL[counter] * ROLE_FACTOR[context["role"]] * rng.uniform(0.4, 1.6)
        if context["kind"] == OrganisationKind.THIRD_COUNTRY:
            raw *= THIRD_COUNTRY_FACTOR
        if half_year is not None:
            raw /= 2
        raw = max(raw, 1)
    decimals = DECIMALS.get(unit, 0)
    if decimals == 0:
        return Decimal(math.floor(raw))
    return Decimal(raw).quantize(Decimal(1).scaleb(-decimals), ROUND_HALF_EVEN)


def _check(
    actions: list[DemoAction], overrides: list[StatusOverride], cells: dict, catalogue: Catalogue
) -> list[str]:
    problems = []
    for action in actions:
        for counter in action.counters:
            if counter not in catalogue:
                problems.append(f"{action.code}: unknown counter {counter!r}")
                continue
            parent = catalogue[counter][1]
            if parent is not None and parent not in action.counters:
                problems.append(f"{action.code}: {counter} is counted within {parent}, which is not listed")
            if parent is None and counter not in TYPICAL:
                problems.append(f"{action.code}: no typical figure for {counter} (present.TYPICAL)")
            if parent is not None and counter not in SHARE:
                problems.append(f"{action.code}: no share for {counter} (present.SHARE)")
    for o in overrides:
        if (o.action, o.organisation, o.year, o.half_year) not in cells:
            period = f"{o.year} H{o.half_year}" if o.half_year else str(o.year)
            problems.append(f"statuses: {o.organisation} reports no figures for {o.action} in {period}")
    return problems


def present_entries(
    actions: list[DemoAction], overrides: list[StatusOverride], kinds: dict[str, str], catalogue: Catalogue
) -> dict[EntryKey, DemoEntry]:
    """The present's figures and statuses; raises ValueError naming every problem of the file."""
    cells = _cells(actions, kinds)
    problems = _check(actions, overrides, cells, catalogue)
    if problems:
        raise ValueError("demo_present.yaml: " + "; ".join(problems))
    reasons = {}
    for o in overrides:
        cells[(o.action, o.organisation, o.year, o.half_year)] = o.status
        reasons[(o.action, o.organisation, o.year, o.half_year)] = o.reason
    by_code = {action.code: action for action in actions}
    entries: dict[EntryKey, DemoEntry] = {}
    for cell, status in cells.items():
        action_code, org, year, half_year = cell
        action = by_code[action_code]
        context = {"role": dict(action.roles)[org], "kind": kinds[org]}
        values: dict[str, Decimal] = {}
        # parents first, so that an "of which" figure is a share of its parent's
        for counter in sorted(action.counters, key=lambda code: catalogue[code][1] is not None):
            unit, parent = catalogue[counter]
            if parent is not None:
                context["parent"] = values.get(parent, Decimal(0))
            values[counter] = _value(action, org, counter, (year, half_year), unit, context)
            if values[counter] > 0:
                entries[(action_code, org, counter, year, half_year)] = DemoEntry(
                    values[counter], status, reasons.get(cell, "")
                )
    return entries
