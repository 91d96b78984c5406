"""The demo's reporting periods: the deadlines the hub set for the open years.

Whole years for 2024 and 2025 (reported by year), half-years from 2026 on. Results are due a
month after a period ends and validated in the month after that (as the demo's figures were:
`base.submitted_at`, `base.validated_at`).
"""

from __future__ import annotations

import datetime

from ..models import ReportingPeriod
from .base import Changes

D = datetime.date
#: (year, half-year or None) → (results due, validation closes)
DEMO_PERIODS: dict[tuple[int, int | None], tuple[datetime.date, datetime.date]] = {
    (2024, None): (D(2025, 1, 31), D(2025, 2, 28)),
    (2025, None): (D(2026, 1, 31), D(2026, 2, 28)),
    (2026, 1): (D(2026, 7, 31), D(2026, 9, 30)),
    (2026, 2): (D(2027, 1, 31), D(2027, 2, 28)),
    (2027, 1): (D(2027, 7, 31), D(2027, 9, 30)),
    (2027, 2): (D(2028, 1, 31), D(2028, 2, 29)),
}


def sync_periods() -> Changes:
    """The demo's periods with their deadlines (written only when missing or different)."""
    changes = Changes()
    existing = {(p.year, p.half_year): p for p in ReportingPeriod.objects.all()}
    for (year, half_year), (due, closes) in DEMO_PERIODS.items():
        period = existing.get((year, half_year))
        if period is None:
            ReportingPeriod.objects.create(
                year=year, half_year=half_year, results_due=due, validation_closes=closes
            )
            changes.created += 1
        elif (period.results_due, period.validation_closes) != (due, closes):
            period.results_due, period.validation_closes = due, closes
            period.save()
            changes.updated += 1
    return changes
