"""Reporting years: locking one freezes its entries until the hub unlocks it.

The lock is held by the database (`oap.db`): locking a year waits for the writes in flight to
that year and keeps new ones out until it commits, so a write and the lock of its year never
both succeed.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Count
from django.utils import formats

from .. import access, db
from ..choices import EntryStatus
from ..models import ResultEntry, YearLock
from ..workflow import OPEN
from .base import Refused, acting, save


def locked_message(year: int) -> str | None:
    """Why `year`'s entries cannot change — who locked it, when and why — or None when it is open."""
    return locked_messages(YearLock.objects.filter(year=year)).get(year)


def locked_messages(locks=None) -> dict[int, str]:
    """{year: why its entries cannot change} of every locked year (or of `locks`), in one query."""
    locks = YearLock.objects.all() if locks is None else locks
    return {lock.year: _why(lock) for lock in locks.select_related("locked_by__organisation")}


def _why(lock: YearLock) -> str:
    by = lock.locked_by.organisation.name if lock.locked_by and lock.locked_by.organisation else "the hub"
    why = f" ({lock.reason})" if lock.reason else ""
    return (
        f"Year {lock.year} is locked since {formats.date_format(lock.locked_at, 'j F Y')} by {by}{why}: "
        "its results are frozen. The EMPACT support team (hub) must unlock the year before anything changes."
    )


def year_lock_preview(year: int) -> dict[str, int]:
    """How many entries of `year` locking it would freeze before validation, by status."""
    counts = dict(
        ResultEntry.objects.filter(year=year, status__in=[*OPEN, EntryStatus.SUBMITTED])
        .order_by()
        .values_list("status")
        .annotate(n=Count("pk"))
    )
    return {
        status: counts.get(status, 0)
        for status in (EntryStatus.DRAFT, EntryStatus.SUBMITTED, EntryStatus.RETURNED)
    }


@transaction.atomic
def year_lock(*, year: int, by, reason: str = "") -> YearLock:
    """Freeze a reporting year: no entry of it may change until the hub unlocks it."""
    if by is not None and not access.can_manage_years(by):
        raise Refused("Only the EMPACT support team (hub) locks reporting years.")
    db.hold_year_exclusively(year)
    lock = YearLock.objects.filter(year=year).first()
    if lock is not None:
        return lock
    lock = YearLock(year=year, reason=reason, locked_by=acting(by))
    lock.full_clean()
    save(lock, by)
    return lock


@transaction.atomic
def year_unlock(*, year: int, by) -> None:
    if by is not None and not (access.can_manage_years(by) and access.role_allows(by, "delete", YearLock)):
        raise Refused("Only the EMPACT support team (hub) unlocks reporting years.")
    db.hold_year_exclusively(year)
    for lock in YearLock.objects.filter(year=year):
        if acting(by) is not None:
            lock._history_user = by
        lock.delete()
