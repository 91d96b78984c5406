"""What the demo's modules share: its files, its seed, its years and moments, and its entries."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from django.conf import settings

from ..choices import ActionStatus, EntryStatus, OrganisationKind

FIXTURES = Path(settings.BASE_DIR) / "fixtures"
#: the actions of 2022–2023, whose validated figures are the published ones
DEMO_ACTIONS_FILE = FIXTURES / "demo_actions.yaml"
#: the actions of 2024–2025 and 2026–2027, and where their figures stand
PRESENT_FILE = FIXTURES / "demo_present.yaml"
REFERENCE_FIXTURE = "reference"

#: The seed of every random choice the demo makes (never Python's global random).
SEED = "empact-demo-2021-05-26"
#: the years whose figures Europol published; the demo publishes their factsheets (locking them)
PUBLISHED_YEARS = (2022, 2023)
#: the open years the demo's present holds figures for; the last one is being reported
PRESENT_YEARS = (2024, 2025, 2026)
CURRENT_YEAR = PRESENT_YEARS[-1]
#: the years of the present OAPs (2024–2025 and 2026–2027), within which the present actions run
PRESENT_SPAN = (2024, 2027)

REPORTING_KINDS = (OrganisationKind.MEMBER_STATE, OrganisationKind.THIRD_COUNTRY)
NO_RESULT_STATUSES = (ActionStatus.PLANNED, ActionStatus.CANCELLED)

ANALYST_USERNAME = "europol.analyst"
#: The reason recorded in the audit history for the demo's writes (it also marks the entries the
#: demo created, so that a later run may remove the ones it no longer makes).
CHANGE_REASON = "Demo data (manage.py load_demo)"


def submitted_at(year: int, half_year: int | None = None) -> datetime.datetime:
    """When the demo's figures for a period were submitted: after its half-year, or in the spring
    report of the next year for the whole year and H2."""
    if half_year == 1:
        return datetime.datetime(year, 7, 31, 10, 0, tzinfo=datetime.UTC)
    return datetime.datetime(year + 1, 1, 31, 10, 0, tzinfo=datetime.UTC)


def validated_at(year: int, half_year: int | None = None) -> datetime.datetime:
    if half_year == 1:
        return datetime.datetime(year, 9, 30, 15, 0, tzinfo=datetime.UTC)
    return datetime.datetime(year + 1, 2, 28, 15, 0, tzinfo=datetime.UTC)


#: (action code, organisation code, counter code, year, half-year or None)
EntryKey = tuple[str, str, str, int, int | None]


@dataclass(frozen=True)
class DemoEntry:
    """One demo figure and where it stands (the moments follow from the status and the period)."""

    value: Decimal
    status: str = EntryStatus.VALIDATED
    return_reason: str = ""

    def moments(self, year: int, half_year: int | None) -> tuple[datetime.datetime | None, ...]:
        """(submitted at, validated at) for this entry's status in its period."""
        if self.status == EntryStatus.DRAFT:
            return None, None
        sent = submitted_at(year, half_year)
        return sent, validated_at(year, half_year) if self.status == EntryStatus.VALIDATED else None


@dataclass
class Changes:
    created: int = 0
    updated: int = 0
    deleted: int = 0

    def __str__(self) -> str:
        return f"{self.created} created, {self.updated} updated, {self.deleted} deleted"
