"""The beat's jobs that look at the calendar: deadline reminders and the weekly digest.

Both are safe to run as often as the beat likes: a reminder is made once per user, period and
kind, a digest once per user and week (the unique constraint of `Notification`), and each run
only adds what is missing. What each says is taken from the access rule for its recipient.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from oap import access
from oap.choices import EntryStatus, UserRole
from oap.models import (
    OperationalAction,
    OperationalActionPlan,
    Organisation,
    ReportingPeriod,
    ResultEntry,
    User,
)
from oap.selectors import completeness, owing, periods_open

from .choices import Kind
from .models import Notification
from .services import notify


def send_reminders(*, today: datetime.date | None = None) -> int:
    """Remind the coordinators of organisations that still owe figures: NOTIFICATIONS_REMINDER_DAYS
    before a period's results are due, and once after, while its validation is open. How many made."""
    today = today or timezone.localdate()
    soon = today + datetime.timedelta(days=settings.NOTIFICATIONS_REMINDER_DAYS)
    made = 0
    for period in ReportingPeriod.objects.filter(results_due__gte=today, results_due__lte=soon):
        made += _remind(period, Kind.DUE_SOON)
    for period in ReportingPeriod.objects.filter(results_due__lt=today, validation_closes__gte=today):
        made += _remind(period, Kind.OVERDUE)
    return made


def _remind(period: ReportingPeriod, kind: str) -> int:
    owed = owing(period.year, period.half_year)
    told = Notification.objects.filter(kind=kind, key=f"period:{period.pk}").values("user_id")
    coordinators = (
        User.objects.filter(organisation_id__in=owed, role=UserRole.COORDINATOR, is_active=True)
        .exclude(pk__in=told)
        .select_related("organisation")
    )
    made = 0
    for user in coordinators.order_by("pk"):
        actions = access.restrict(OperationalAction.objects.filter(pk__in=owed[user.organisation_id]), user)
        ids = sorted(actions.values_list("pk", flat=True))
        if not ids:
            continue
        with transaction.atomic():
            data = {"actions": ids, "org": user.organisation.code}
            made += (
                notify(user=user, kind=kind, key=f"period:{period.pk}", period=period, data=data) is not None
            )
    return made


def week_key(day: datetime.date) -> str:
    year, week, _ = day.isocalendar()
    return f"week:{year}-W{week:02d}"


def _digest_readers():
    """Users of the hub and of the organisations driving or co-driving a plan."""
    drivers = OperationalActionPlan.objects.values("driver_id")
    co_drivers = OperationalActionPlan.co_drivers.through.objects.values("organisation_id")
    organisations = Organisation.objects.filter(Q(is_hub=True) | Q(pk__in=drivers) | Q(pk__in=co_drivers))
    return User.objects.filter(organisation__in=organisations, is_active=True).select_related("organisation")


def _summary(user, period: ReportingPeriod) -> dict | None:
    matrix = completeness(user=user, year=period.year, half_year=period.half_year)
    organisation = user.organisation
    driven = None
    if not organisation.is_hub:
        driven = set(
            OperationalActionPlan.objects.filter(
                Q(driver=organisation) | Q(co_drivers=organisation)
            ).values_list("pk", flat=True)
        )
    plans = []
    for plan_id, tally in sorted(matrix.by_plan().items()):
        if driven is None or plan_id in driven:
            plans.append(
                {
                    "plan": plan_id,
                    "expected": tally.expected,
                    "delivered": tally.delivered,
                    "none": tally.states["none"],
                }
            )
    if not plans:
        return None
    return {
        "year": period.year,
        "half_year": period.half_year,
        "name": period.name,
        "due": f"{period.results_due:%d %B %Y}",
        "plans": plans,
    }


def send_weekly_digests(*, today: datetime.date | None = None) -> int:
    """The week's digest for the drivers and the hub: each open period's reporting in their plans,
    and what waits for their validation. Once per user and week; how many made."""
    today = today or timezone.localdate()
    periods = periods_open(today)
    if not periods:
        return 0
    made = 0
    key = week_key(today)
    told = Notification.objects.filter(kind=Kind.WEEKLY, key=key).values("user_id")
    for user in _digest_readers().exclude(pk__in=told).order_by("pk"):
        summaries = [s for s in (_summary(user, period) for period in periods) if s is not None]
        waiting = (
            access.restrict(ResultEntry.objects.all(), user, "validate")
            .filter(status=EntryStatus.SUBMITTED)
            .count()
        )
        if not summaries and not waiting:
            continue
        with transaction.atomic():
            data = {"periods": summaries, "to_validate": waiting}
            made += notify(user=user, kind=Kind.WEEKLY, key=key, data=data) is not None
    return made
