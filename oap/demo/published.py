"""The published years' figures: validated entries that add up *exactly* to the headline figures
Europol published for 2022 and 2023 (`HEADLINE_TOTALS`), spread over the 2022–2023 demo actions.

Pure and deterministic (a fixed seed, never Python's global random): the same actions give the
same figures on every machine.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from decimal import Decimal
from typing import TYPE_CHECKING

from ..choices import OrganisationKind, ParticipationRole
from .base import PUBLISHED_YEARS, REPORTING_KINDS, SEED, DemoEntry, EntryKey

if TYPE_CHECKING:
    from .files import DemoAction

#: Counters whose values carry three decimals (kg, tonnes); the others are whole numbers.
DECIMAL_COUNTERS = frozenset(
    {"cocaine_kg", "cannabis_kg", "heroin_kg", "synthetic_drugs_kg", "explosives_kg", "waste_seized_t"}
)

#: Published EMPACT headline results (DOMAIN.md); the demo's validated entries sum to these exactly.
#: Assets and drugs were published as "over EUR 180 million / over 62 t" (2022) and "over EUR 797
#: million / over 197 t" (2023); the drug total is split across substances below.
HEADLINE_TOTALS: dict[int, dict[str, str]] = {
    2022: {
        "arrests": "9922",
        "migrant_smugglers_arrested": "3646",
        "victims_identified": "4019",
        "investigations_initiated": "9262",
        "assets_seized_eur": "180436512",
        "cocaine_kg": "27315.480",
        "cannabis_kg": "24806.215",
        "heroin_kg": "3102.640",
        "synthetic_drugs_kg": "7193.890",
    },
    2023: {
        "arrests": "13871",
        "migrant_smugglers_arrested": "6801",
        "victims_identified": "7500",
        "investigations_initiated": "15644",
        "assets_seized_eur": "797318944",
        "cocaine_kg": "98640.375",
        "cannabis_kg": "71212.530",
        "heroin_kg": "6905.120",
        "synthetic_drugs_kg": "20823.905",
    },
}

#: Plausible totals for the other counters (not published; the demo just needs realistic figures).
OTHER_TOTALS: dict[int, dict[str, str]] = {
    2022: {
        "suspects_identified": "14350",
        "high_value_targets": "312",
        "firearms_seized": "2140",
        "ammunition_rounds": "186400",
        "explosives_kg": "412.500",
        "forged_documents": "1865",
        "illegal_entries_detected": "11420",
        "waste_seized_t": "37815.400",
        "cigarettes_units": "418600000",
        "checks_persons": "412800",
        "checks_vehicles": "96450",
        "checks_parcels": "58210",
        "checks_premises": "7340",
        "officers_deployed": "21600",
    },
    2023: {
        "suspects_identified": "19870",
        "high_value_targets": "455",
        "firearms_seized": "3285",
        "ammunition_rounds": "241900",
        "explosives_kg": "655.750",
        "forged_documents": "2734",
        "illegal_entries_detected": "16980",
        "waste_seized_t": "52390.700",
        "cigarettes_units": "532250000",
        "checks_persons": "538900",
        "checks_vehicles": "121700",
        "checks_parcels": "73460",
        "checks_premises": "9120",
        "officers_deployed": "27850",
    },
}

#: Which plans report a counter, and their relative share of its yearly total. For `arrests`
#: the weights split the arrests *beyond* the migrant smugglers, who are all arrested under MS.
PLAN_WEIGHTS: dict[str, dict[str, float]] = {
    "migrant_smugglers_arrested": {"MS": 1},
    "arrests": {
        "HRCN": 8,
        "CYBER": 4,
        "THB": 8,
        "CSE": 6,
        "MS": 6,
        "DRUGS-CCH": 14,
        "DRUGS-SYN": 6,
        "FRAUD-OFS": 8,
        "FRAUD-EXCISE": 4,
        "FRAUD-MTIC": 3,
        "FRAUD-IPC": 4,
        "FRAUD-CFLAR": 5,
        "OPC": 8,
        "ENVI": 4,
        "FIREARMS": 6,
    },
    "investigations_initiated": {
        "HRCN": 7,
        "CYBER": 6,
        "THB": 7,
        "CSE": 8,
        "MS": 12,
        "DRUGS-CCH": 12,
        "DRUGS-SYN": 6,
        "FRAUD-OFS": 10,
        "FRAUD-EXCISE": 4,
        "FRAUD-MTIC": 4,
        "FRAUD-IPC": 5,
        "FRAUD-CFLAR": 6,
        "OPC": 7,
        "ENVI": 4,
        "FIREARMS": 5,
    },
    "victims_identified": {"THB": 85, "CSE": 15},
    "assets_seized_eur": {
        "FRAUD-CFLAR": 28,
        "HRCN": 16,
        "FRAUD-MTIC": 14,
        "FRAUD-OFS": 11,
        "FRAUD-IPC": 7,
        "FRAUD-EXCISE": 6,
        "DRUGS-CCH": 9,
        "DRUGS-SYN": 3,
        "CYBER": 3,
        "OPC": 2,
        "ENVI": 1,
    },
    "cocaine_kg": {"DRUGS-CCH": 1},
    "cannabis_kg": {"DRUGS-CCH": 1},
    "heroin_kg": {"DRUGS-CCH": 1},
    "synthetic_drugs_kg": {"DRUGS-SYN": 1},
    "suspects_identified": {
        "HRCN": 3,
        "CYBER": 4,
        "THB": 2,
        "CSE": 4,
        "MS": 4,
        "DRUGS-CCH": 3,
        "DRUGS-SYN": 2,
        "FRAUD-OFS": 5,
        "FRAUD-CFLAR": 2,
        "OPC": 2,
    },
    "high_value_targets": {"HRCN": 6, "DRUGS-CCH": 2, "MS": 1, "FRAUD-CFLAR": 1},
    "firearms_seized": {"FIREARMS": 6, "HRCN": 2, "OPC": 1, "DRUGS-CCH": 1},
    "ammunition_rounds": {"FIREARMS": 1},
    "explosives_kg": {"FIREARMS": 3, "OPC": 1},
    "forged_documents": {"MS": 8, "THB": 1},
    "illegal_entries_detected": {"MS": 1},
    "waste_seized_t": {"ENVI": 1},
    "cigarettes_units": {"FRAUD-EXCISE": 1},
    "checks_persons": {"MS": 5, "THB": 2, "DRUGS-CCH": 1, "FRAUD-CFLAR": 1},
    "checks_vehicles": {"MS": 4, "OPC": 2, "FRAUD-EXCISE": 1},
    "checks_parcels": {"DRUGS-CCH": 2, "FRAUD-IPC": 2, "FRAUD-EXCISE": 1},
    "checks_premises": {"THB": 3, "ENVI": 1, "OPC": 1},
    "officers_deployed": {"MS": 3, "THB": 2, "FIREARMS": 2, "DRUGS-CCH": 1, "OPC": 1, "ENVI": 1},
}

#: Counters every reporting organisation of an action reports; the others are reported by the
#: leader and, with this probability, by each other reporting organisation.
ALWAYS_REPORTED = frozenset({"arrests", "migrant_smugglers_arrested", "investigations_initiated"})
REPORT_PROBABILITY = 0.7
FOCUS_FACTOR = 6.0
ROLE_FACTOR = {
    ParticipationRole.LEADER: 2.5,
    ParticipationRole.CO_LEADER: 1.5,
    ParticipationRole.PARTICIPANT: 1,
}


def _to_units(counter: str, value: str) -> int:
    """A total in the counter's smallest demo unit (thousandths for kg and tonnes)."""
    return int(Decimal(value).scaleb(3 if counter in DECIMAL_COUNTERS else 0))


def _from_units(counter: str, units: int) -> Decimal:
    return Decimal(units).scaleb(-3) if counter in DECIMAL_COUNTERS else Decimal(units)


def apportion(total: int, weights: list[float]) -> list[int]:
    """Split the integer `total` in proportion to `weights` (largest remainder, exact, stable)."""
    if total == 0 or not weights:
        return [0] * len(weights)
    top = max(weights)
    ints = [max(1, round(w / top * 10**9)) for w in weights]
    scale = sum(ints)
    shares = [total * w // scale for w in ints]
    rests = [total * w % scale for w in ints]
    short = total - sum(shares)
    for i in sorted(range(len(ints)), key=lambda i: (-rests[i], i))[:short]:
        shares[i] += 1
    return shares


Cell = tuple[str, str]  # (action code, organisation code)


def _reporting_cells(actions: list[DemoAction], kinds: dict[str, str], year: int) -> dict[str, list[Cell]]:
    """Per plan, the (action, organisation) pairs able to report in `year`: participating countries."""
    cells: dict[str, list[Cell]] = defaultdict(list)
    for action in actions:
        if not action.reports_in(year):
            continue
        orgs = [org for org, _ in action.roles if kinds[org] in REPORTING_KINDS] or [action.leader]
        cells[action.plan].extend((action.code, org) for org in orgs)
    return cells


def _distribute(
    counter: str,
    total: int,
    year: int,
    actions: dict[str, DemoAction],
    cells_by_plan: dict[str, list[Cell]],
    kinds: dict[str, str],
) -> dict[Cell, int]:
    """Split one counter's yearly total over the reporting cells of the plans that report it."""
    rng = random.Random(f"{SEED}:{year}:{counter}")
    # Each year a plan's share moves a little, so plans of equal weight do not get equal figures.
    plan_weights = {
        plan: weight * rng.uniform(0.75, 1.25)
        for plan, weight in PLAN_WEIGHTS[counter].items()
        if cells_by_plan.get(plan)
    }
    if not plan_weights:
        raise ValueError(f"no demo action reports {counter} in {year}")
    plan_total = sum(plan_weights.values())
    action_factor: dict[str, float] = {}
    cells, weights = [], []
    for plan, plan_weight in plan_weights.items():
        plan_cells, plan_cell_weights = [], []
        for action_code, org in cells_by_plan[plan]:
            action = actions[action_code]
            role = dict(action.roles)[org]
            if action_code not in action_factor:
                focus = FOCUS_FACTOR if counter in action.focus else 1.0
                action_factor[action_code] = rng.uniform(0.4, 1.6) * focus
            reports = (
                counter in ALWAYS_REPORTED
                or role == ParticipationRole.LEADER
                or rng.random() < REPORT_PROBABILITY
            )
            if not reports:
                continue
            org_factor = ROLE_FACTOR[role] * rng.uniform(0.3, 1.0)
            if kinds[org] == OrganisationKind.THIRD_COUNTRY:
                org_factor *= 0.6
            plan_cells.append((action_code, org))
            plan_cell_weights.append(action_factor[action_code] * org_factor)
        cell_total = sum(plan_cell_weights)
        cells.extend(plan_cells)
        weights.extend(plan_weight / plan_total * w / cell_total for w in plan_cell_weights)
    return dict(zip(cells, apportion(total, weights), strict=True))


def compute_results(
    actions: list[DemoAction], kinds: dict[str, str]
) -> dict[tuple[str, str, str, int], Decimal]:
    """The demo figures: {(action code, organisation code, counter, year): value}, zeros left out.

    Pure and deterministic: the same actions give the same figures on every machine.
    Migrant smugglers are allocated first and each MS cell's arrests include them, so an
    "of which" figure never exceeds its parent; minors are a share of each cell's victims.
    """
    by_code = {action.code: action for action in actions}
    results: dict[tuple[str, str, str, int], Decimal] = {}
    for year in PUBLISHED_YEARS:
        cells_by_plan = _reporting_cells(actions, kinds, year)
        targets = {**HEADLINE_TOTALS[year], **OTHER_TOTALS[year]}
        units: dict[str, dict[Cell, int]] = {}
        for counter in PLAN_WEIGHTS:
            total = _to_units(counter, targets[counter])
            if counter == "arrests":
                total -= sum(units["migrant_smugglers_arrested"].values())
            units[counter] = _distribute(counter, total, year, by_code, cells_by_plan, kinds)
        for cell, smugglers in units["migrant_smugglers_arrested"].items():
            units["arrests"][cell] = units["arrests"].get(cell, 0) + smugglers
        rng = random.Random(f"{SEED}:{year}:minor_victims_identified")
        units["minor_victims_identified"] = {}
        for cell, victims in units["victims_identified"].items():
            action = by_code[cell[0]]
            share = rng.uniform(0.7, 0.95) if action.plan == "CSE" else rng.uniform(0.08, 0.3)
            if "minor_victims_identified" in action.focus:
                share = min(0.9, share * 2.5)
            units["minor_victims_identified"][cell] = math.floor(victims * share)
        for counter, values in units.items():
            for (action_code, org), value in values.items():
                if value > 0:
                    results[(action_code, org, counter, year)] = _from_units(counter, value)
    return results


def published_entries(actions: list[DemoAction], kinds: dict[str, str]) -> dict[EntryKey, DemoEntry]:
    """The published years' figures as validated whole-year entries."""
    return {
        (action, organisation, counter, year, None): DemoEntry(value)
        for (action, organisation, counter, year), value in compute_results(actions, kinds).items()
    }
