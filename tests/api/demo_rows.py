"""Rows an organisation may still record in the demo data: the free places of its open actions."""

from __future__ import annotations

import math
from collections.abc import Iterator
from itertools import islice

from oap import services
from oap.choices import ResultUnit
from oap.models import (
    OperationalAction,
    OperationalActionPlan,
    Organisation,
    ResultEntry,
    ResultType,
    YearLock,
)

#: the demo's open years (2022 and 2023 are locked by their published factsheets; 2027 is ahead)
OPEN_YEARS = (2024, 2025, 2026)
WHOLE_UNITS = (ResultUnit.COUNT, ResultUnit.ROUNDS, ResultUnit.UNITS)


def _years(action: OperationalAction) -> range:
    start = action.start.year if action.start else action.plan.start_year
    end = action.end.year if action.end else action.plan.end_year
    return range(start, end + 1)


def value_for(unit: str, i: int) -> str:
    """A value the unit accepts, varying with `i`: whole numbers for counts, rounds and units."""
    if unit in WHOLE_UNITS:
        return str((i * 7) % 1000)
    return f"{(i * 7) % 1000}.{i % 1000:03d}"


def _places(organisation: str) -> Iterator[tuple[OperationalAction, ResultType, int]]:
    """(action, counter, year): the organisation's actions × counters × the open years each action
    runs in, where it has no figure yet."""
    org = Organisation.objects.get(code=organisation)
    taken = set(
        ResultEntry.objects.filter(organisation=org).values_list("action_id", "result_type_id", "year")
    )
    locked = set(YearLock.objects.values_list("year", flat=True))
    actions = OperationalAction.objects.filter(participations__organisation=org).select_related("plan")
    counters = list(ResultType.objects.order_by("code"))
    for action in actions.order_by("code"):
        for year in _years(action):
            if year in OPEN_YEARS and year not in locked:
                for counter in counters:
                    if (action.pk, counter.pk, year) not in taken:
                        yield action, counter, year


def _rows(organisation: str) -> Iterator[dict]:
    """One whole-year row for every third free place, both half-years for the others (never both
    kinds for one place), each with a value its unit accepts."""
    i = 0
    for place, (action, counter, year) in enumerate(_places(organisation), start=1):
        for half_year in (None,) if place % 3 == 0 else (1, 2):
            yield {
                "action": action.code,
                "organisation": organisation,
                "result_type": counter.code,
                "year": year,
                "half_year": half_year,
                "value": value_for(counter.unit, i),
                "comment": f"row {i}" if i % 10 == 0 else "",
            }
            i += 1


def free_rows(organisation: str, count: int | None = None) -> list[dict]:
    """`count` (default: all) distinct rows `organisation` may record now (see `_rows`)."""
    rows = list(islice(_rows(organisation), count))
    assert count is None or len(rows) == count, (
        f"the demo gives only {len(rows)} free rows for {organisation}"
    )
    return rows


def make_room(user, count: int, plan_code: str = "DRUGS-CCH-24") -> None:
    """Add actions led by the user's organisation to a plan it drives until it has `count` free rows.

    The demo gives a country a few hundred to a couple of thousand free places; the largest bulk
    needs more than one country plausibly has in a demo.
    """
    missing = count - len(free_rows(user.organisation.code))
    if missing <= 0:
        return
    plan = OperationalActionPlan.objects.get(code=plan_code)
    per_action = ResultType.objects.count() * (plan.end_year - plan.start_year + 1) * 5 // 3
    for n in range(1, math.ceil(missing / per_action) + 2):
        services.action_create(
            by=user,
            plan=plan,
            code=f"{plan.code} 9.{n}",
            title=f"Joint action days in container ports, round {n}",
            leader=user.organisation,
            participants=[Organisation.objects.get(code="PT")],
        )
    free_rows(user.organisation.code, count)
